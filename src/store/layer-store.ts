/**
 * Layers by ChainID. A layer is an uncompressed tar extracted once by the snapshot driver into
 * a snapshot keyed by its ChainID; the tar itself is not kept: its tar-split (common/tar/
 * split.ts, named by the DiffID) lets `tarStream` give the exact bytes back from the files,
 * checked against the DiffID (stores from before keep the tar as a content blob, still read).
 *
 *   ChainID(L0) = DiffID(L0);  ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))
 *
 *   const s = await layers.stage(tarStream);          // extracted, hashed; invisible (a temp dir)
 *   const rec = await layers.commitStaged(s, parent);  // placed: the ChainID of s.diffId over parent
 *
 * On disk: rows in `layers` / `layer_mounts` (metadata.db); the tar-split in
 * content/tar-split/<diffId hex>; the extracted tree wherever the driver keeps `chainId`.
 *
 * Crash safety: a layer is staged in the driver's temp dir (removed at start) and its
 * tar-split in content/tmp; commit renames the driver dir into place, then the tar-split,
 * and inserts the row last — so a killed daemon leaves at most a driver layer or tar-split
 * without a row, which `reconcile()` / `removeOrphanSplits()` remove at startup (together
 * with rows whose driver layer vanished, and every layer above them).
 *
 * A layer is held by: an image whose top layer it is (the caller's predicate), a layer whose
 * parent it is, or a container's writable snapshot registered with `addMount`.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError, SystemError } from '../common/errors.ts';
import { splitTarSize, splitTarStream } from '../common/tar/split.ts';
import type { SnapshotDriver, StagedLayer } from '../drivers/snapshot/contract.ts';
import type { ContentStore } from './content-store.ts';
import { migrate, type Db } from './db.ts';

export interface LayerRecord {
  chainId: string;
  diffId: string;
  parent: string | null;
  /** Bytes of content in this layer alone. */
  size: number;
  /** The key of this layer in the snapshot driver. */
  cacheId: string;
  /** Unix milliseconds. */
  created: number;
}

const MIGRATIONS = [
  `CREATE TABLE layers (
     chain_id TEXT PRIMARY KEY,
     diff_id  TEXT NOT NULL,
     parent   TEXT REFERENCES layers(chain_id),
     size     INTEGER NOT NULL,
     cache_id TEXT NOT NULL,
     created  INTEGER NOT NULL
   );
   CREATE INDEX layers_parent ON layers(parent);
   CREATE INDEX layers_diff ON layers(diff_id);
   CREATE TABLE layer_mounts (
     key      TEXT PRIMARY KEY,
     chain_id TEXT REFERENCES layers(chain_id),
     created  INTEGER NOT NULL
   );`,
];

interface Row { chain_id: string; diff_id: string; parent: string | null; size: number; cache_id: string; created: number }

function hexOf(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new InvalidArgumentError(`invalid digest ${JSON.stringify(digest)}`);
  return m[1]!;
}

function toRecord(r: Row): LayerRecord {
  return { chainId: r.chain_id, diffId: r.diff_id, parent: r.parent, size: r.size, cacheId: r.cache_id, created: r.created };
}

/** The image spec's ChainID of `diffId` applied over `parent`. */
export function chainIdOf(parent: string | null | undefined, diffId: string): string {
  if (!parent) return diffId;
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

/** ChainIDs for a whole list of DiffIDs, bottom first. */
export function chainIdsOf(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let parent: string | undefined;
  for (const d of diffIds) {
    parent = chainIdOf(parent, d);
    out.push(parent);
  }
  return out;
}

export class LayerStore {
  private readonly inflight = new Map<string, Promise<LayerRecord>>();
  /** Layers an in-flight job builds on (not yet held by a row): release leaves them alone. */
  private readonly pins = new Map<string, number>();
  /** DiffIDs whose tar an apply is reading now (dropUnusedTar keeps them). */
  private readonly applying = new Map<string, number>();

  /** Staged layers kept for a later applyDiff, by DiffID (offerStaged). */
  private readonly staged = new Map<string, StagedLayer>();
  private readonly splitDir: string;

  constructor(private readonly db: Db, private readonly content: ContentStore, readonly driver: SnapshotDriver) {
    migrate(db, 'layers', MIGRATIONS);
    this.splitDir = path.join(content.root, 'tar-split');
    fs.mkdirSync(this.splitDir, { recursive: true });
  }

  get(chainId: string): LayerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as Row | undefined;
    return r && toRecord(r);
  }

  all(): LayerRecord[] {
    return (this.db.prepare('SELECT * FROM layers').all() as Row[]).map(toRecord);
  }

  /** The chain ending at `top`, bottom layer first. */
  chain(top: string | null | undefined): LayerRecord[] {
    const out: LayerRecord[] = [];
    let id = top ?? null;
    while (id) {
      const l = this.get(id);
      if (!l) throw new NotFoundError(`layer does not exist: ${id}`);
      out.unshift(l);
      id = l.parent;
    }
    return out;
  }

  /** Sum of the layer sizes of the chain ending at `top`. */
  chainSize(top: string | null | undefined): number {
    return top ? this.chain(top).reduce((n, l) => n + l.size, 0) : 0;
  }

  /** Where the tar-split of `diffId` lives (content root/tar-split/<hex>). */
  splitPath(diffId: string): string {
    return path.join(this.splitDir, hexOf(diffId));
  }

  private hasSplit(diffId: string): boolean {
    return fs.existsSync(this.splitPath(diffId));
  }

  /**
   * Reads a layer tar into a staged layer (extracted once, DiffID and tar-split computed on
   * the way), not yet in any chain: `commitStaged` places it, `discardStaged` drops it.
   */
  async stage(tar: Readable): Promise<StagedLayer> {
    return this.driver.stageLayer(tar, { tarSplit: this.content.tempPath('split') });
  }

  async discardStaged(staged: StagedLayer): Promise<void> {
    try {
      await this.driver.discardStaged(staged);
    } finally {
      if (staged.tarSplit) await fsp.rm(staged.tarSplit, { force: true });
    }
  }

  /**
   * Places a staged layer over `parent`. When that ChainID exists already (or another job is
   * creating it) the staged copy is dropped and the existing layer returned.
   */
  async commitStaged(staged: StagedLayer, parent: string | null): Promise<LayerRecord> {
    const chainId = chainIdOf(parent, staged.diffId);
    const busy = this.inflight.get(chainId);
    const have = this.get(chainId);
    if (have || busy) {
      await this.discardStaged(staged);
      return have ?? busy!;
    }
    if (parent && !this.get(parent)) {
      await this.discardStaged(staged);
      throw new NotFoundError(`layer does not exist: ${parent}`);
    }
    const p = (async () => {
      const unpin = this.pin(parent);
      try {
        if (this.driver.hasLayer(chainId)) await this.driver.removeLayer(chainId); // left by a crash
        const res = await this.driver.commitStaged(staged, chainId, parent ?? undefined);
        try {
          await this.installSplit(staged); // vfs writes it while committing
        } catch (err) {
          await this.driver.removeLayer(chainId).catch(() => {});
          throw err;
        }
        return this.insert(chainId, staged.diffId, parent, res.size);
      } catch (err) {
        await this.discardStaged(staged).catch(() => {});
        throw err;
      } finally {
        unpin();
      }
    })().finally(() => this.inflight.delete(chainId));
    this.inflight.set(chainId, p);
    return p;
  }

  /** Moves a staged tar-split into place (fsynced); one already there for the DiffID stays. */
  private async installSplit(staged: StagedLayer): Promise<void> {
    if (!staged.tarSplit || !fs.existsSync(staged.tarSplit)) return;
    if (this.hasSplit(staged.diffId)) {
      await fsp.rm(staged.tarSplit, { force: true });
      return;
    }
    await fsp.rename(staged.tarSplit, this.splitPath(staged.diffId));
    const fh = await fsp.open(this.splitDir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  private insert(chainId: string, diffId: string, parent: string | null, size: number): LayerRecord {
    const rec: LayerRecord = { chainId, diffId, parent, size, cacheId: chainId, created: Date.now() };
    this.db.prepare('INSERT INTO layers (chain_id, diff_id, parent, size, cache_id, created) VALUES (?, ?, ?, ?, ?, ?)')
      .run(rec.chainId, rec.diffId, rec.parent, rec.size, rec.cacheId, rec.created);
    return rec;
  }

  /**
   * Adds the uncompressed layer tar `tar` on top of `parent`: extracted once, hashed on the
   * way; if the resulting ChainID is already known the existing layer is returned.
   * `expectedDiffId` makes a mismatch an error (load/pull), and nothing is kept.
   */
  async register(tar: Readable, parent: string | null, expectedDiffId?: string): Promise<LayerRecord> {
    if (parent && !this.get(parent)) throw new NotFoundError(`layer does not exist: ${parent}`);
    const staged = await this.stage(tar);
    if (expectedDiffId !== undefined && staged.diffId !== expectedDiffId) {
      await this.discardStaged(staged);
      throw new InvalidArgumentError(`digest mismatch: expected ${expectedDiffId}, got ${staged.diffId}`);
    }
    return this.commitStaged(staged, parent);
  }

  /**
   * Keeps a staged layer for a later `applyDiff` of its DiffID (pulls stage layers in
   * parallel, and concurrent pulls share them). A second one for the same DiffID is dropped.
   */
  async offerStaged(staged: StagedLayer): Promise<void> {
    if (this.staged.has(staged.diffId) || this.hasDiff(staged.diffId)) {
      await this.discardStaged(staged);
      return;
    }
    this.staged.set(staged.diffId, staged);
  }

  /** Drops the kept staged layer of `diffId`, if any. */
  async dropStaged(diffId: string): Promise<void> {
    const s = this.staged.get(diffId);
    if (!s) return;
    this.staged.delete(diffId);
    await this.discardStaged(s);
  }

  /** Whether the layer of `diffId` can be applied without its tar: a layer row or a kept staged layer has it. */
  hasDiff(diffId: string): boolean {
    return this.staged.has(diffId) || !!this.db.prepare('SELECT 1 FROM layers WHERE diff_id = ? LIMIT 1').get(diffId);
  }

  /**
   * The layer `diffId` over `parent`: the existing ChainID, else a kept staged layer placed
   * there, else the tar of a layer with the same DiffID (regenerated, verified) applied anew.
   */
  async applyDiff(diffId: string, parent: string | null): Promise<LayerRecord> {
    const chainId = chainIdOf(parent, diffId);
    const existing = this.get(chainId) ?? (await this.inflight.get(chainId)?.catch(() => undefined));
    if (existing) return existing;
    const staged = this.staged.get(diffId);
    if (staged) {
      this.staged.delete(diffId);
      return this.commitStaged(staged, parent);
    }
    // Another job may be placing the only copy of this DiffID (its staged layer) elsewhere.
    if (!this.db.prepare('SELECT 1 FROM layers WHERE diff_id = ? LIMIT 1').get(diffId) && !this.content.has(diffId)) {
      await Promise.allSettled([...this.inflight.values()]);
    }
    return this.applyBlob(diffId, parent);
  }

  /** Applies a tar another layer of the same DiffID gives back (or a stored blob) over `parent`. */
  applyBlob(diffId: string, parent: string | null): Promise<LayerRecord> {
    const chainId = chainIdOf(parent, diffId);
    const existing = this.get(chainId);
    if (existing) return Promise.resolve(existing);
    let p = this.inflight.get(chainId);
    if (!p) {
      p = this.apply(chainId, diffId, parent).finally(() => this.inflight.delete(chainId));
      this.inflight.set(chainId, p);
    }
    return p;
  }

  /**
   * Holds `chainId` (and so its parents) against `release` until the returned function is
   * called: for jobs between registering layers and writing the image row.
   */
  pin(chainId: string | null): () => void {
    if (!chainId) return () => {};
    this.pins.set(chainId, (this.pins.get(chainId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.pins.get(chainId) ?? 1) - 1;
      if (n <= 0) this.pins.delete(chainId);
      else this.pins.set(chainId, n);
    };
  }

  private async apply(chainId: string, diffId: string, parent: string | null): Promise<LayerRecord> {
    const unpin = this.pin(parent);
    this.applying.set(diffId, (this.applying.get(diffId) ?? 0) + 1);
    try {
      return await this.applyPinned(chainId, diffId, parent);
    } finally {
      unpin();
      const n = (this.applying.get(diffId) ?? 1) - 1;
      if (n <= 0) this.applying.delete(diffId);
      else this.applying.set(diffId, n);
    }
  }

  private async applyPinned(chainId: string, diffId: string, parent: string | null): Promise<LayerRecord> {
    if (this.driver.hasLayer(chainId)) await this.driver.removeLayer(chainId); // left by a crash
    const source = this.db.prepare('SELECT chain_id FROM layers WHERE diff_id = ? LIMIT 1').get(diffId) as { chain_id: string } | undefined;
    let tar: Readable;
    if (source && this.hasSplit(diffId)) tar = this.tarStream(source.chain_id);
    else if (this.content.has(diffId)) tar = fs.createReadStream(this.content.path(diffId));
    else throw new NotFoundError(`layer ${diffId} does not exist`);
    const res = await this.driver.applyLayer(chainId, parent ?? undefined, tar);
    if (res.diffId !== diffId) {
      await this.driver.removeLayer(chainId);
      throw new InvalidArgumentError(`layer digest mismatch: stored tar is ${diffId}, driver read ${res.diffId}`);
    }
    return this.insert(chainId, diffId, parent, res.size);
  }

  /**
   * The layer's tar exactly as it was applied: regenerated from the extracted files and the
   * tar-split (its sha256 checked at the end: a mismatch errors the stream), or a stored
   * blob (layers of stores from before tar-split).
   */
  tarStream(chainId: string): Readable {
    const l = this.get(chainId);
    if (!l) throw new NotFoundError(`layer does not exist: ${chainId}`);
    if (!this.hasSplit(l.diffId)) return this.content.readStream(l.diffId);
    const split = this.splitPath(l.diffId);
    const root = this.driver.layerRoot(l.cacheId);
    const diffId = l.diffId;
    async function* verified(): AsyncGenerator<Buffer> {
      const hash = createHash('sha256');
      for await (const c of splitTarStream(split, root)) {
        hash.update(c);
        yield c;
      }
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== diffId) throw new SystemError(`layer ${diffId}: its files no longer give back its tar (got ${got})`);
    }
    return Readable.from(verified(), { objectMode: false });
  }

  tarSize(chainId: string): number {
    const l = this.get(chainId);
    if (!l) throw new NotFoundError(`layer does not exist: ${chainId}`);
    return this.tarSizeOf(l.diffId);
  }

  /** Length of the tar of a stored DiffID. */
  tarSizeOf(diffId: string): number {
    if (this.hasSplit(diffId)) return splitTarSize(this.splitPath(diffId));
    return this.content.size(diffId);
  }

  /** Registers a container's writable snapshot over `chainId` (holds the chain). */
  addMount(key: string, chainId: string | null): void {
    this.db.prepare('INSERT OR REPLACE INTO layer_mounts (key, chain_id, created) VALUES (?, ?, ?)').run(key, chainId, Date.now());
  }

  removeMount(key: string): void {
    this.db.prepare('DELETE FROM layer_mounts WHERE key = ?').run(key);
  }

  private held(chainId: string, heldByImage: (chainId: string) => boolean): boolean {
    if (this.pins.has(chainId) || heldByImage(chainId)) return true;
    if (this.db.prepare('SELECT 1 FROM layers WHERE parent = ? LIMIT 1').get(chainId)) return true;
    return !!this.db.prepare('SELECT 1 FROM layer_mounts WHERE chain_id = ? LIMIT 1').get(chainId);
  }

  /**
   * Removes `top` and then each parent in turn while nothing holds it. Returns the removed
   * ChainIDs (top first), as docker's rmi reports them.
   */
  async release(top: string | null, heldByImage: (chainId: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    let id = top;
    while (id) {
      const l = this.get(id);
      if (!l || this.held(id, heldByImage)) break;
      try {
        // Driver first: it refuses (409) while a container snapshot still sits on the layer.
        await this.driver.removeLayer(l.cacheId);
      } catch (err) {
        if (err instanceof ConflictError) break;
        throw err;
      }
      this.db.prepare('DELETE FROM layers WHERE chain_id = ?').run(id);
      if (!this.db.prepare('SELECT 1 FROM layers WHERE diff_id = ? LIMIT 1').get(l.diffId)) {
        await this.content.delete(l.diffId);
        await fsp.rm(this.splitPath(l.diffId), { force: true });
      }
      removed.push(id);
      id = l.parent;
    }
    return removed;
  }

  /**
   * Startup: driver layers with no row are removed; rows whose driver layer is gone are
   * dropped together with every layer above them. Returns the ChainIDs of dropped rows so the
   * image store can drop images that used them.
   */
  async reconcile(): Promise<{ removedDirs: string[]; droppedRows: string[] }> {
    const rows = new Map(this.all().map((l) => [l.chainId, l]));
    const onDisk = new Set(this.driver.list().layers);
    const removedDirs: string[] = [];
    const known = new Set([...rows.values()].map((l) => l.cacheId));
    // Orphans may sit on each other: remove in passes, children before parents.
    let pending = [...onDisk].filter((k) => !known.has(k));
    while (pending.length) {
      const left: string[] = [];
      for (const key of pending) {
        try {
          await this.driver.removeLayer(key);
          removedDirs.push(key);
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          left.push(key);
        }
      }
      if (left.length === pending.length) break; // held by container snapshots: leave them
      pending = left;
    }
    const broken = new Set<string>();
    for (const l of rows.values()) if (!onDisk.has(l.cacheId) || (!this.hasSplit(l.diffId) && !this.content.has(l.diffId))) broken.add(l.chainId);
    // Everything above a broken layer is unusable too.
    let grew = true;
    while (grew) {
      grew = false;
      for (const l of rows.values()) if (l.parent && broken.has(l.parent) && !broken.has(l.chainId)) { broken.add(l.chainId); grew = true; }
    }
    const droppedRows = [...broken];
    const del = this.db.prepare('DELETE FROM layers WHERE chain_id = ?');
    const delMount = this.db.prepare('UPDATE layer_mounts SET chain_id = NULL WHERE chain_id = ?');
    // Children first, so the parent foreign key holds at every step.
    const order = droppedRows.sort((a, b) => this.depth(rows, b) - this.depth(rows, a));
    this.db.transaction(() => { for (const id of order) { delMount.run(id); del.run(id); } })();
    for (const id of order) {
      if (!onDisk.has(rows.get(id)!.cacheId)) continue;
      try {
        await this.driver.removeLayer(rows.get(id)!.cacheId);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    return { removedDirs, droppedRows: order };
  }

  /** Removes tar-splits no layer row names (a crash between their rename and the row); returns how many. */
  async removeOrphanSplits(): Promise<number> {
    const keep = this.diffIds();
    let n = 0;
    for (const name of fs.readdirSync(this.splitDir)) {
      if (!/^[a-f0-9]{64}$/.test(name) || keep.has(`sha256:${name}`) || this.staged.has(`sha256:${name}`)) continue;
      await fsp.rm(path.join(this.splitDir, name), { force: true });
      n++;
    }
    return n;
  }

  private depth(rows: Map<string, LayerRecord>, id: string): number {
    let n = 0;
    for (let l = rows.get(id); l?.parent; l = rows.get(l.parent)) n++;
    return n;
  }

  /** Every DiffID a layer row names (blobs the content GC must keep). */
  diffIds(): Set<string> {
    return new Set((this.db.prepare('SELECT diff_id FROM layers').all() as { diff_id: string }[]).map((r) => r.diff_id));
  }
}
