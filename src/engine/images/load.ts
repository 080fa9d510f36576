/**
 * `docker load`: a docker save archive (manifest.json + config + layer tars, docker ≤24
 * `<id>/layer.tar` or ≥25 `blobs/sha256/…`) or an OCI image layout (oci-layout + index.json +
 * blobs), the archive itself gzip or not, layers gzip or not.
 *
 * The archive is extracted first into a private dir under the store's tmp/ (docker does the
 * same: manifest.json comes last in docker 25's archives), then each image's layers are
 * registered bottom-up (verified against the config's diff_ids), then the config, then tags.
 * The dir is removed on every exit; a crash leaves it for the startup cleanup.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors.ts';
import { familiarString, parseNormalizedNamed, withDefaultTag, type Reference } from '../../common/reference.ts';
import { TarReader } from '../../common/tar/index.ts';
import { chainIdOf } from '../../store/layer-store.ts';
import { diffIdsOf, parseImageConfig } from './config.ts';
import { decompressed } from './decompress.ts';
import type { ImageGraph } from './graph.ts';
import { goArch } from '../../common/host.ts';

interface LoadItem {
  configPath: string;
  layerPaths: string[];
  tags: Reference[];
}

/** Resolves a member path inside `root`, refusing anything that escapes it. */
function inside(root: string, name: string): string {
  const clean = path.posix.normalize('/' + name.replace(/\\/g, '/')).slice(1);
  if (clean === '' || clean.split('/').includes('..')) throw new InvalidArgumentError(`invalid archive member ${JSON.stringify(name)}`);
  return path.join(root, clean);
}

/** Extracts regular files, dirs and (in-archive) links of `src` into `dir`. */
async function extract(src: Readable, dir: string): Promise<void> {
  const links: { at: string; target: string; hard: boolean }[] = [];
  for await (const { header: h, body } of new TarReader(src)) {
    if (h.name === '.' || h.name === './') continue;
    const dest = inside(dir, h.name);
    if (h.type === 'dir') { await fsp.mkdir(dest, { recursive: true }); continue; }
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    if (h.type === 'file') {
      await pipeline(Readable.from(body), fs.createWriteStream(dest, { flags: 'wx' }));
    } else if (h.type === 'symlink' || h.type === 'link') {
      const target = h.type === 'link' ? inside(dir, h.linkname) : path.resolve(path.dirname(dest), h.linkname);
      if (!target.startsWith(dir + path.sep)) throw new InvalidArgumentError(`invalid archive link ${JSON.stringify(h.name)}`);
      links.push({ at: dest, target, hard: h.type === 'link' });
    }
  }
  // Links (old docker dedupes identical layer.tar files with symlinks) become copies-by-link.
  for (const l of links) {
    // A dangling link target is checked (and refused) as written.
    const real = await fsp.realpath(l.target).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return l.target; throw e; });
    if (!real.startsWith(dir + path.sep)) throw new InvalidArgumentError('invalid archive link');
    await fsp.link(real, l.at);
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`invalid archive: ${path.basename(file)}: ${(err as Error).message}`);
  }
}

function parseTag(s: string): Reference | undefined {
  try {
    const r = parseNormalizedNamed(s);
    return r.digest === undefined ? withDefaultTag(r) : undefined;
  } catch {
    return undefined;
  }
}

async function fromDockerManifest(dir: string): Promise<LoadItem[]> {
  const manifest = await readJson(path.join(dir, 'manifest.json'));
  if (!Array.isArray(manifest)) throw new InvalidArgumentError('invalid archive: manifest.json is not a list');
  return manifest.map((m: { Config?: string; RepoTags?: string[] | null; Layers?: string[] }) => {
    if (typeof m?.Config !== 'string' || !Array.isArray(m.Layers)) throw new InvalidArgumentError('invalid archive: bad manifest.json entry');
    const tags: Reference[] = [];
    for (const t of m.RepoTags ?? []) {
      const r = parseTag(t);
      if (!r) throw new InvalidArgumentError(`invalid tag ${JSON.stringify(t)} in manifest.json`);
      tags.push(r);
    }
    return { configPath: inside(dir, m.Config), layerPaths: m.Layers.map((l) => inside(dir, l)), tags };
  });
}

interface Descriptor { mediaType?: string; digest: string; annotations?: Record<string, string>; platform?: { architecture?: string; os?: string } }

function blobPath(dir: string, digest: string): string {
  const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(digest);
  if (!m) throw new InvalidArgumentError(`invalid digest ${digest}`);
  return inside(dir, `blobs/${m[1]}/${m[2]}`);
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

async function manifestOf(dir: string, d: Descriptor): Promise<{ config: Descriptor; layers: Descriptor[] }> {
  const doc = await readJson(blobPath(dir, d.digest)) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  if (INDEX_TYPES.has(d.mediaType ?? '') || Array.isArray(doc.manifests)) {
    const list = doc.manifests ?? [];
    const pick = list.find((m) => m.platform?.os === 'linux' && m.platform.architecture === goArch()) ?? list.find((m) => !m.platform) ?? list[0];
    if (!pick) throw new InvalidArgumentError('invalid archive: empty image index');
    return manifestOf(dir, pick);
  }
  if (!doc.config || !Array.isArray(doc.layers)) throw new InvalidArgumentError('invalid archive: bad image manifest');
  return { config: doc.config, layers: doc.layers };
}

async function fromOciLayout(dir: string): Promise<LoadItem[]> {
  const index = await readJson(path.join(dir, 'index.json')) as { manifests?: Descriptor[] };
  const items = new Map<string, LoadItem>();
  for (const d of index.manifests ?? []) {
    const m = await manifestOf(dir, d);
    const key = m.config.digest;
    const item = items.get(key) ?? { configPath: blobPath(dir, m.config.digest), layerPaths: m.layers.map((l) => blobPath(dir, l.digest)), tags: [] };
    const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
    const ref = name && (name.includes('/') || name.includes(':')) ? parseTag(name) : undefined;
    if (ref) item.tags.push(ref);
    items.set(key, item);
  }
  return [...items.values()];
}

/** Loads one image: layers, then config, then tags. Returns the lines docker prints. */
async function loadItem(g: ImageGraph, item: LoadItem): Promise<string[]> {
  const configBytes = await fsp.readFile(item.configPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'ENOTDIR') throw new InvalidArgumentError(`invalid archive: missing config ${path.basename(item.configPath)}`);
    throw e;
  });
  const config = parseImageConfig(configBytes);
  const diffIds = diffIdsOf(config);
  if (diffIds.length !== item.layerPaths.length) throw new InvalidArgumentError(`invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${item.layerPaths.length}`);
  let parent: string | null = null;
  const unpins: (() => void)[] = [];
  let rec;
  try {
    for (let i = 0; i < diffIds.length; i++) {
      const chainId = chainIdOf(parent, diffIds[i]!);
      if (!g.layers.get(chainId)) {
        if (!fs.existsSync(item.layerPaths[i]!)) throw new InvalidArgumentError(`invalid archive: missing layer ${path.basename(item.layerPaths[i]!)}`);
        // Closed on every exit: a registration that fails (a full disk) half-way through would
        // otherwise keep the extracted layer open, its space held after the temp dir is gone.
        const file = fs.createReadStream(item.layerPaths[i]!);
        try {
          await g.layers.register(await decompressed(file), parent, diffIds[i]);
        } finally {
          file.destroy();
        }
      }
      unpins.push(g.layers.pin(chainId));
      parent = chainId;
    }
    rec = await g.addImage(configBytes);
  } finally {
    for (const u of unpins) u();
  }
  const lines: string[] = [];
  for (const t of item.tags) {
    const before = g.refs.get(t);
    if (before && before !== rec.id) lines.push(`The image ${familiarString(t)} already exists, renaming the old one with ID ${before} to empty string`);
    g.tag(rec.id, t);
  }
  g.publish('load', rec.id);
  if (item.tags.length === 0) lines.push(`Loaded image ID: ${rec.id}`);
  for (const t of item.tags) lines.push(`Loaded image: ${familiarString(t)}`);
  return lines;
}

/** Loads every image of the archive in `src`; `onLine` gets each message as docker prints it. */
export async function loadArchive(g: ImageGraph, src: Readable, onLine: (line: string) => void = () => {}): Promise<string[]> {
  const dir = g.content.tempPath('load');
  await fsp.mkdir(dir, { recursive: true });
  try {
    await extract(await decompressed(src), dir);
    let items: LoadItem[];
    if (fs.existsSync(path.join(dir, 'manifest.json'))) items = await fromDockerManifest(dir);
    else if (fs.existsSync(path.join(dir, 'index.json'))) items = await fromOciLayout(dir);
    else throw new InvalidArgumentError('invalid archive: no manifest.json or index.json found (legacy pre-1.10 archives are not supported)');
    const all: string[] = [];
    for (const item of items) {
      for (const line of await loadItem(g, item)) { all.push(line); onLine(line); }
    }
    return all;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
