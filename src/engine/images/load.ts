/**
 * `docker load`: a docker save archive (manifest.json + config + layer tars, docker ≤24
 * `<id>/layer.tar` or ≥25 `blobs/sha256/…`) or an OCI image layout (oci-layout + index.json +
 * blobs), the archive itself and each layer compressed (gzip, bzip2, xz, zstd) or not.
 *
 * One pass over the archive: manifest.json comes last, so a member that looks like a layer
 * (a tar, or compressed data) is extracted at once into a staged layer (the snapshot
 * driver's temp dir), its DiffID and tar-split computed on the way, its own digest too (an
 * OCI layout's descriptors are checked against it). Other members (configs, manifests) go
 * to a private dir under the store's tmp/. Then each image's layers are placed bottom-up
 * (checked against the config's diff_ids), then the config, then tags. Staged layers no
 * image used and the dir are removed on every exit; a crash leaves only temp dirs, removed
 * at the next start.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors.ts';
import { familiarString, parseNormalizedNamed, withDefaultTag, type Reference } from '../../common/reference.ts';
import { TarReader } from '../../common/tar/index.ts';
import { chainIdOf, type LayerRecord } from '../../store/layer-store.ts';
import { detectCompression } from '../../common/compression.ts';
import type { StagedLayer } from '../../drivers/snapshot/contract.ts';
import { createHash } from 'node:crypto';
import { diffIdsOf, parseImageConfig } from './config.ts';
import { decompressed } from './decompress.ts';
import type { ImageGraph } from './graph.ts';
import { goArch } from '../../common/host.ts';

interface LoadItem {
  configPath: string;
  layerPaths: string[];
  /** The blob digest each layer path must have (OCI layout descriptors). */
  layerDigests?: string[];
  tags: Reference[];
}

/** A member read as a layer: staged (or the error staging it gave), and its own sha256. */
interface StagedMember {
  staged?: StagedLayer;
  error?: unknown;
  digest: string;
  /** Placed in a chain already (the next use applies it from that layer). */
  used?: boolean;
}

/** Archive members extracted as layers, by their path in the extraction dir. */
type Staged = Map<string, StagedMember>;

const USTAR = Buffer.from('ustar');

/** Whether a member's first bytes say layer: compressed data, or a tar (ustar magic, or an empty tar's zero blocks). */
function looksLikeLayer(head: Buffer, size: number): boolean {
  if (detectCompression(head) !== 'none') return true;
  if (size < 1024 || head.length < 512) return false;
  return head.subarray(257, 262).equals(USTAR) || head.subarray(0, 512).every((b) => b === 0);
}

/** The first `n` bytes of a body (fewer when shorter) and the whole body again. */
async function peekBody(body: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; all: AsyncGenerator<Buffer> }> {
  const it = body[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    parts.push(r.value);
    len += r.value.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* parts;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head: Buffer.concat(parts).subarray(0, n), all: all() };
}

/**
 * Stages one layer member, hashing its bytes as they pass (a plain tar's digest is its
 * DiffID, which staging computes anyway).
 */
async function stageMember(g: ImageGraph, head: Buffer, body: AsyncGenerator<Buffer>): Promise<StagedMember> {
  const plain = detectCompression(head) === 'none';
  const hash = plain ? undefined : createHash('sha256');
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const c of body) {
      hash!.update(c);
      yield c;
    }
  }
  const raw = Readable.from(plain ? body : hashed(), { objectMode: false });
  try {
    const staged = await g.layers.stage(await decompressed(raw));
    return { staged, digest: hash ? `sha256:${hash.digest('hex')}` : staged.diffId };
  } catch (error) {
    return { error, digest: '' };
  }
}

/** Resolves a member path inside `root`, refusing anything that escapes it. */
function inside(root: string, name: string): string {
  const clean = path.posix.normalize('/' + name.replace(/\\/g, '/')).slice(1);
  if (clean === '' || clean.split('/').includes('..')) throw new InvalidArgumentError(`invalid archive member ${JSON.stringify(name)}`);
  return path.join(root, clean);
}

/**
 * Reads the archive `src`: layer members into staged layers (`staged`), other regular files,
 * dirs and (in-archive) links into `dir`.
 */
async function extract(g: ImageGraph, src: Readable, dir: string, staged: Staged): Promise<void> {
  const links: { at: string; target: string; hard: boolean }[] = [];
  for await (const { header: h, body } of new TarReader(src)) {
    if (h.name === '.' || h.name === './') continue;
    const dest = inside(dir, h.name);
    if (h.type === 'dir') { await fsp.mkdir(dest, { recursive: true }); continue; }
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    if (h.type === 'file') {
      if (staged.has(dest) || fs.existsSync(dest)) throw new InvalidArgumentError(`invalid archive: duplicate member ${JSON.stringify(h.name)}`);
      const { head, all } = await peekBody(body, 512);
      if (looksLikeLayer(head, h.size)) {
        staged.set(dest, await stageMember(g, head, all));
        continue;
      }
      await pipeline(Readable.from(all), fs.createWriteStream(dest, { flags: 'wx' }));
    } else if (h.type === 'symlink' || h.type === 'link') {
      const target = h.type === 'link' ? inside(dir, h.linkname) : path.resolve(path.dirname(dest), h.linkname);
      if (!target.startsWith(dir + path.sep)) throw new InvalidArgumentError(`invalid archive link ${JSON.stringify(h.name)}`);
      links.push({ at: dest, target, hard: h.type === 'link' });
    }
  }
  // Links (old docker dedupes identical layer.tar files with symlinks) become copies-by-link;
  // one to a staged layer names the same staged layer.
  const byPath = new Map(links.map((l) => [l.at, l]));
  for (const l of links) {
    let target = l.target;
    for (let i = 0; i < 16 && byPath.has(target) && !staged.has(target); i++) {
      const next = byPath.get(target)!;
      target = next.target;
    }
    const member = staged.get(target);
    if (member) {
      staged.set(l.at, member);
      continue;
    }
  }
  for (const l of links) {
    if (staged.has(l.at)) continue;
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
    const item = items.get(key) ?? { configPath: blobPath(dir, m.config.digest), layerPaths: m.layers.map((l) => blobPath(dir, l.digest)), layerDigests: m.layers.map((l) => l.digest), tags: [] };
    const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
    const ref = name && (name.includes('/') || name.includes(':')) ? parseTag(name) : undefined;
    if (ref) item.tags.push(ref);
    items.set(key, item);
  }
  return [...items.values()];
}

/** Places the layer at `file` (a staged member, or a file of the dir) over `parent`. */
async function placeLayer(g: ImageGraph, staged: Staged, file: string, parent: string | null, diffId: string, blobDigest: string | undefined): Promise<LayerRecord> {
  const member = staged.get(file);
  if (!member) {
    if (!fs.existsSync(file)) throw new InvalidArgumentError(`invalid archive: missing layer ${path.basename(file)}`);
    // Closed on every exit: a registration that fails (a full disk) half-way through would
    // otherwise keep the extracted file open, its space held after the temp dir is gone.
    const f = fs.createReadStream(file);
    try {
      return await g.layers.register(await decompressed(f), parent, diffId);
    } finally {
      f.destroy();
    }
  }
  if (member.error) throw member.error;
  if (blobDigest !== undefined && member.digest !== blobDigest) throw new InvalidArgumentError(`invalid archive: blob ${path.basename(file)} has digest ${member.digest}, its descriptor says ${blobDigest}`);
  if (member.staged!.diffId !== diffId) throw new InvalidArgumentError(`digest mismatch: expected ${diffId}, got ${member.staged!.diffId}`);
  if (member.used) return g.layers.applyDiff(diffId, parent);
  member.used = true;
  return g.layers.commitStaged(member.staged!, parent);
}

/** Loads one image: layers, then config, then tags. Returns the lines docker prints. */
async function loadItem(g: ImageGraph, item: LoadItem, staged: Staged): Promise<string[]> {
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
      if (!g.layers.get(chainId)) await placeLayer(g, staged, item.layerPaths[i]!, parent, diffIds[i]!, item.layerDigests?.[i]);
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
  const staged: Staged = new Map();
  try {
    await extract(g, await decompressed(src), dir, staged);
    let items: LoadItem[];
    if (fs.existsSync(path.join(dir, 'manifest.json'))) items = await fromDockerManifest(dir);
    else if (fs.existsSync(path.join(dir, 'index.json'))) items = await fromOciLayout(dir);
    else throw new InvalidArgumentError('invalid archive: no manifest.json or index.json found (legacy pre-1.10 archives are not supported)');
    const all: string[] = [];
    for (const item of items) {
      for (const line of await loadItem(g, item, staged)) { all.push(line); onLine(line); }
    }
    return all;
  } finally {
    for (const m of new Set(staged.values())) if (m.staged && !m.used) await g.layers.discardStaged(m.staged).catch(() => {});
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
