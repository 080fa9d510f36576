/**
 * `docker save`: an archive real docker (25+) loads with the same image IDs — an OCI image
 * layout plus docker's manifest.json and repositories:
 *
 *   blobs/sha256/<diffId hex>     each layer tar, uncompressed, byte-identical to what was loaded
 *                                 (regenerated from the layer's files and tar-split, verified)
 *   blobs/sha256/<config hex>     the config, verbatim (its digest is the image ID)
 *   blobs/sha256/<manifest hex>   an OCI image manifest per image
 *   index.json                    one descriptor per tag (io.containerd.image.name, ref.name)
 *   manifest.json                 [{ Config, RepoTags, Layers }]
 *   oci-layout                    {"imageLayoutVersion":"1.0.0"}
 *   repositories                  {"repo": {"tag": "<top layer hex>"}}
 *
 * Names are resolved (and errors thrown) before the first byte is produced; the archive is
 * then streamed with back-pressure, layer bodies straight from the content store.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { NotFoundError } from '../../common/errors.ts';
import { familiarName, familiarString, parseAnyReference, referenceString, repoName, type Reference } from '../../common/reference.ts';
import { tarStream, type TarWriteEntry } from '../../common/tar/index.ts';
import { diffIdsOf } from './config.ts';
import type { ImageGraph } from './graph.ts';

interface SaveItem { id: string; tags: Reference[] }

const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MT_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MT_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const MT_INDEX = 'application/vnd.oci.image.index.v1+json';

/** docker's tarexport parseNames: tags as given, a bare repo name means all its tags, ids untagged. */
function collect(g: ImageGraph, names: string[]): SaveItem[] {
  const items = new Map<string, SaveItem>();
  const add = (id: string, ref?: Reference) => {
    const it = items.get(id) ?? { id, tags: [] };
    if (ref && ref.digest === undefined && !it.tags.some((t) => referenceString(t) === referenceString(ref))) it.tags.push(ref);
    items.set(id, it);
  };
  for (const name of names) {
    let parsed: ReturnType<typeof parseAnyReference>;
    try {
      parsed = parseAnyReference(name);
    } catch {
      add(g.lookup(name));
      continue;
    }
    if ('id' in parsed) { add(g.lookup(parsed.id)); continue; }
    const ref = parsed.ref;
    if (ref.tag === undefined && ref.digest === undefined) {
      const all = [...g.refs.byImage()].flatMap(([id, refs]) => refs.filter((r) => r.tag !== undefined && repoName(r) === repoName(ref)).map((r) => ({ id, r })));
      if (all.length) { for (const { id, r } of all) add(id, r); continue; }
      add(g.lookup(name));
      continue;
    }
    const id = g.refs.get(ref);
    if (id) add(id, ref);
    else if (/^[a-f0-9]+$/.test(name)) add(g.lookup(name));
    else throw new NotFoundError('reference does not exist');
  }
  return [...items.values()];
}

const hexOf = (d: string) => d.slice('sha256:'.length);

export function saveImages(g: ImageGraph, names: string[]): Readable {
  const items = collect(g, names);
  // Plan everything up front (small JSON documents), stream blobs lazily.
  const blobs: { digest: string; chainId?: string; data?: Buffer; size: number }[] = [];
  const seen = new Set<string>();
  const addBlob = (b: { digest: string; chainId?: string; data?: Buffer; size: number }) => { if (!seen.has(b.digest)) { seen.add(b.digest); blobs.push(b); } };
  const manifestJson: unknown[] = [];
  const indexManifests: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const it of items) {
    const r = g.resolve(it.id);
    const configBytes = g.images.config(it.id);
    const layers = r.layerChainIds.map((c, i) => {
      const diffId = diffIdsOf(r.config)[i]!;
      const l = g.layers.get(c);
      if (!l) throw new NotFoundError(`layer does not exist: ${c}`);
      return { digest: diffId, chainId: c, size: g.layers.tarSize(c) };
    });
    for (const l of layers) addBlob(l);
    addBlob({ digest: it.id, data: configBytes, size: configBytes.length });
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MT_MANIFEST,
      config: { mediaType: MT_CONFIG, digest: it.id, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: MT_LAYER, digest: l.digest, size: l.size })),
    }));
    const mDigest = `sha256:${createHashHex(manifest)}`;
    addBlob({ digest: mDigest, data: manifest, size: manifest.length });
    const desc = { mediaType: MT_MANIFEST, digest: mDigest, size: manifest.length };
    if (it.tags.length === 0) indexManifests.push(desc);
    for (const t of it.tags) {
      indexManifests.push({ ...desc, annotations: { 'io.containerd.image.name': referenceString(t), 'org.opencontainers.image.ref.name': t.tag! } });
      if (layers.length) (repositories[familiarName(t)] ??= {})[t.tag!] = hexOf(layers.at(-1)!.digest);
    }
    manifestJson.push({ Config: `blobs/sha256/${hexOf(it.id)}`, RepoTags: it.tags.length ? it.tags.map(familiarString) : null, Layers: layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`) });
  }
  const docs: [string, Buffer][] = [
    ['index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT_INDEX, manifests: indexManifests }))],
    ['manifest.json', Buffer.from(JSON.stringify(manifestJson))],
    ['oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))],
  ];
  if (Object.keys(repositories).length) docs.push(['repositories', Buffer.from(JSON.stringify(repositories))]);
  const mtime = Math.floor(Date.now() / 1000);
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    yield { header: { name: 'blobs/', type: 'dir', mode: 0o755, mtime } };
    yield { header: { name: 'blobs/sha256/', type: 'dir', mode: 0o755, mtime } };
    for (const b of blobs) {
      const header = { name: `blobs/sha256/${hexOf(b.digest)}`, type: 'file' as const, mode: 0o444, size: b.size, mtime };
      yield { header, body: b.data ?? g.layers.tarStream(b.chainId!) };
    }
    for (const [name, data] of docs) yield { header: { name, type: 'file', mode: 0o644, size: data.length, mtime }, body: data };
  }
  const out = Readable.from(tarStream(entries()), { objectMode: false });
  for (const it of items) g.publish('save', it.id);
  return out;
}

function createHashHex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
