/**
 * Consistency of a daemon's data root, read from outside while the daemon runs: the SQLite
 * metadata (metadata.db, read-only) against the content, layer and snapshot directories, the
 * container and volume directories, and the temp places a killed daemon may leave behind.
 *
 *   const problems = storeProblems(d.dataRoot);   // [] when everything agrees
 *   const temps = tempLeftovers(d.dataRoot);      // [] after a start
 *
 * Rules (each broken one is a line in the answer):
 *   - every layer row has its snapshot-driver directory and its tar-split (or, for layers from
 *     before tar-split, its tar blob; content, by DiffID),
 *     and its parent row; every driver layer directory has a row; every layer is held (an
 *     image's top, a layer's parent, or under a container snapshot)
 *   - every image row has its config blob, and its top layer row (when it has layers)
 *   - every reference names an image row
 *   - every content blob is named by a layer row or an image row
 *   - every container row has its writable snapshot and its directory; every container
 *     snapshot and directory has a row (no orphan, no `build-*` snapshot left)
 *   - every volume row has its directory and every volume directory a row
 *   - the overlay2 short links all point at a directory that exists
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

function ls(p: string): string[] {
  try { return fs.readdirSync(p); } catch { return []; }
}

function readText(p: string): string | undefined {
  try { return fs.readFileSync(p, 'utf8').trim(); } catch { return undefined; }
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

export interface StoreView {
  layers: { chain_id: string; diff_id: string; parent: string | null; cache_id: string }[];
  images: { id: string; top_chain_id: string | null }[];
  refs: { image: string; name: string }[];
  containers: string[];
  volumes: string[];
}

export function readStore(dataRoot: string): StoreView {
  const db = new Database(path.join(dataRoot, 'metadata.db'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    return {
      layers: tables.has('layers') ? db.prepare('SELECT chain_id, diff_id, parent, cache_id FROM layers').all() as StoreView['layers'] : [],
      images: tables.has('images') ? db.prepare('SELECT id, top_chain_id FROM images').all() as StoreView['images'] : [],
      refs: tables.has('image_refs') ? db.prepare('SELECT image_id AS image, ref AS name FROM image_refs').all() as StoreView['refs'] : [],
      containers: tables.has('containers') ? (db.prepare('SELECT id FROM containers').all() as { id: string }[]).map((r) => r.id) : [],
      volumes: tables.has('volumes') ? (db.prepare('SELECT name FROM volumes').all() as { name: string }[]).map((r) => r.name) : [],
    };
  } finally {
    db.close();
  }
}

export function storeProblems(dataRoot: string): string[] {
  const out: string[] = [];
  const v = readStore(dataRoot);
  const blobDir = path.join(dataRoot, 'content', 'content', 'sha256');
  const blobs = new Set(ls(blobDir));
  const splits = new Set(ls(path.join(dataRoot, 'content', 'tar-split')));
  const snapRoot = path.join(dataRoot, 'overlay2');

  // Driver directories: layers (a `chain` file) and snapshots (a `snapshot` file).
  const driverLayers = new Map<string, string>();
  const driverSnaps = new Set<string>();
  for (const name of ls(snapRoot)) {
    if (name === 'l' || name.startsWith('.')) continue;
    const chain = readText(path.join(snapRoot, name, 'chain'));
    if (chain !== undefined) driverLayers.set(chain, name);
    else if (readText(path.join(snapRoot, name, 'snapshot')) !== undefined) driverSnaps.add(name);
    else out.push(`overlay2/${name}: a directory that is neither a layer nor a snapshot`);
  }
  for (const link of ls(path.join(snapRoot, 'l'))) {
    const p = path.join(snapRoot, 'l', link);
    if (!fs.existsSync(p)) out.push(`overlay2/l/${link}: dangling short link`);
  }

  const layerRows = new Map(v.layers.map((l) => [l.chain_id, l]));
  for (const l of v.layers) {
    if (!driverLayers.has(l.cache_id)) out.push(`layer ${l.chain_id}: row without its driver layer`);
    if (!blobs.has(hex(l.diff_id)) && !splits.has(hex(l.diff_id))) out.push(`layer ${l.chain_id}: row without its tar-split (or tar blob) ${l.diff_id}`);
    if (l.parent && !layerRows.has(l.parent)) out.push(`layer ${l.chain_id}: parent ${l.parent} has no row`);
  }
  // Every layer is held: the top of an image, the parent of a layer, or under a container snapshot.
  const held = new Set<string>([...v.images.map((i) => i.top_chain_id ?? ''), ...v.layers.map((l) => l.parent ?? '')]);
  for (const s of driverSnaps) held.add(readText(path.join(snapRoot, s, 'snapshot')) ?? '');
  for (const l of v.layers) if (!held.has(l.chain_id)) out.push(`layer ${l.chain_id}: held by no image, layer or container`);
  const cacheIds = new Set(v.layers.map((l) => l.cache_id));
  for (const chain of driverLayers.keys()) if (!cacheIds.has(chain)) out.push(`driver layer ${chain}: no layer row`);

  const imageIds = new Set(v.images.map((i) => i.id));
  for (const i of v.images) {
    if (!blobs.has(hex(i.id))) out.push(`image ${i.id}: row without its config blob`);
    if (i.top_chain_id && !layerRows.has(i.top_chain_id)) out.push(`image ${i.id}: top layer ${i.top_chain_id} has no row`);
  }
  for (const r of v.refs) if (!imageIds.has(r.image)) out.push(`reference ${r.name}: names missing image ${r.image}`);
  const named = new Set([...v.layers.map((l) => hex(l.diff_id)), ...v.images.map((i) => hex(i.id))]);
  for (const b of blobs) if (!named.has(b)) out.push(`blob sha256:${b}: named by no layer or image`);
  for (const b of splits) if (!named.has(b)) out.push(`tar-split sha256:${b}: named by no layer`);

  const ctrs = new Set(v.containers);
  const ctrDirs = new Set(ls(path.join(dataRoot, 'containers')));
  for (const id of ctrs) {
    if (!driverSnaps.has(id)) out.push(`container ${id}: row without its snapshot`);
    if (!ctrDirs.has(id)) out.push(`container ${id}: row without its directory`);
  }
  for (const s of driverSnaps) if (!ctrs.has(s)) out.push(`snapshot ${s}: no container row`);
  for (const dir of ctrDirs) if (!ctrs.has(dir)) out.push(`containers/${dir}: no container row`);

  const vols = new Set(v.volumes);
  const volDirs = new Set(ls(path.join(dataRoot, 'volumes')).filter((n) => fs.statSync(path.join(dataRoot, 'volumes', n)).isDirectory()));
  for (const n of vols) if (!volDirs.has(n)) out.push(`volume ${n}: row without its directory`);
  for (const n of volDirs) if (!vols.has(n)) out.push(`volumes/${n}: no volume row`);
  return out;
}

/** Temp files a start must have removed: content ingest/load scratch, build dirs, driver work dirs. */
export function tempLeftovers(dataRoot: string): string[] {
  const out: string[] = [];
  for (const n of ls(path.join(dataRoot, 'content', 'tmp'))) out.push(`content/tmp/${n}`);
  for (const n of ls(path.join(dataRoot, 'build'))) out.push(`build/${n}`);
  for (const n of ls(path.join(dataRoot, 'overlay2'))) if (n.startsWith('.tmp-')) out.push(`overlay2/${n}`);
  for (const n of ls(path.join(dataRoot, 'network'))) if (n.endsWith('.tmp')) out.push(`network/${n}`);
  for (const n of ls(path.join(dataRoot, 'volumes'))) if (n.startsWith('.tmp')) out.push(`volumes/${n}`);
  return out;
}
