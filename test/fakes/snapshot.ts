/**
 * A SnapshotDriver (src/drivers/snapshot/contract.ts) for the engine's unit tests: no mounts,
 * no root, no xattrs or device nodes. Layers are kept in memory as the entries of their tar
 * (regular files, directories, symlinks; `.wh.` whiteouts and opaque directories applied);
 * a container snapshot is a plain directory under a temp root, filled with its chain's files at
 * prepare, so the engine can read `/etc/passwd` and write files into it. `changes` and `diff`
 * compare that directory with what prepare put there.
 *
 *   const snaps = new FakeSnapshots(fs.mkdtempSync(…));
 *   await snaps.applyLayer(chainId, undefined, tarStream);
 *   const dir = await snaps.mount(await snaps.prepare('ctr', chainId) && 'ctr');
 *
 * It names itself 'vfs' (the contract's type allows only real names); `snapshotPaths` gives
 * the directory as both MergedDir and UpperDir, so SizeRw counts the chain's files too.
 * State is per instance (a second instance over the same root sees nothing).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '../../src/common/errors.ts';
import { TarReader, createTar, type TarWriteEntry } from '../../src/common/tar/index.ts';
import type { ApplyResult, Mount, SnapshotDriver, StagedLayer } from '../../src/drivers/snapshot/contract.ts';

type Node = { type: 'dir'; mode: number } | { type: 'file'; mode: number; body: Buffer } | { type: 'symlink'; target: string };
type Op = { put: string; node: Node } | { whiteout: string } | { opaque: string };

interface Layer { parent: string | undefined; ops: Op[]; diffId: string; size: number }
interface Snapshot { parent: string | undefined; dir: string; baseline: Map<string, string>; mounted: boolean }

const clean = (name: string) => path.posix.normalize('/' + name).replace(/\/$/, '') || '/';

function describe(abs: string): string {
  const st = fs.lstatSync(abs);
  if (st.isDirectory()) return `d${(st.mode & 0o7777).toString(8)}`;
  if (st.isSymbolicLink()) return `l${fs.readlinkSync(abs)}`;
  return `f${(st.mode & 0o7777).toString(8)}:${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
}

function walk(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const go = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const r = `${rel}/${name}`;
      const d = describe(path.join(dir, r));
      out.set(r, d);
      if (d.startsWith('d')) go(r);
    }
  };
  go('');
  return out;
}

export class FakeSnapshots implements SnapshotDriver {
  readonly name = 'vfs' as const;
  readonly layers = new Map<string, Layer>();
  readonly snapshots = new Map<string, Snapshot>();

  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  private readonly staged = new Map<string, { ops: Op[]; diffId: string; size: number }>();
  private stagedSeq = 0;

  async applyLayer(chainId: string, parent: string | undefined, tar: Readable): Promise<ApplyResult> {
    if (this.layers.has(chainId)) { tar.resume(); throw new ConflictError(`layer ${chainId} already exists`); }
    if (parent !== undefined && !this.layers.has(parent)) { tar.resume(); throw new NotFoundError(`layer ${parent} does not exist`); }
    const { ops, diffId, size } = await this.readOps(tar);
    this.layers.set(chainId, { parent, ops, diffId, size });
    return { diffId, size };
  }

  async stageLayer(tar: Readable): Promise<StagedLayer> {
    const read = await this.readOps(tar);
    const ref = `staged-${++this.stagedSeq}`;
    this.staged.set(ref, read);
    return { diffId: read.diffId, size: read.size, ref };
  }

  async commitStaged(staged: StagedLayer, chainId: string, parent: string | undefined): Promise<ApplyResult> {
    const s = this.staged.get(staged.ref);
    this.staged.delete(staged.ref);
    if (!s) throw new NotFoundError(`staged layer ${staged.ref} does not exist`);
    if (this.layers.has(chainId)) throw new ConflictError(`layer ${chainId} already exists`);
    if (parent !== undefined && !this.layers.has(parent)) throw new NotFoundError(`layer ${parent} does not exist`);
    this.layers.set(chainId, { parent, ops: s.ops, diffId: s.diffId, size: s.size });
    return { diffId: s.diffId, size: s.size };
  }

  async discardStaged(staged: StagedLayer): Promise<void> {
    this.staged.delete(staged.ref);
  }

  /** Where the layer's files would lie (the fake keeps them in memory: no tar-split regeneration). */
  layerRoot(chainId: string): string {
    return this.layerPaths(chainId).Dir!;
  }

  private async readOps(tar: Readable): Promise<{ ops: Op[]; diffId: string; size: number }> {
    const reader = new TarReader(tar, { digest: true });
    const ops: Op[] = [];
    let size = 0;
    for await (const { header, body } of reader) {
      const parts: Buffer[] = [];
      for await (const c of body) parts.push(Buffer.from(c));
      const name = clean(header.name);
      if (name === '/') continue;
      const base = path.posix.basename(name);
      const dir = path.posix.dirname(name);
      if (base === '.wh..wh..opq') { ops.push({ opaque: dir }); continue; }
      if (base.startsWith('.wh.')) { ops.push({ whiteout: path.posix.join(dir, base.slice(4)) }); continue; }
      if (header.type === 'dir') ops.push({ put: name, node: { type: 'dir', mode: header.mode || 0o755 } });
      else if (header.type === 'symlink') { ops.push({ put: name, node: { type: 'symlink', target: header.linkname } }); size += header.linkname.length; }
      else if (header.type === 'file') { const b = Buffer.concat(parts); ops.push({ put: name, node: { type: 'file', mode: header.mode || 0o644, body: b } }); size += b.length; }
      else if (header.type === 'link') {
        const target = [...ops].reverse().find((o) => 'put' in o && o.put === clean(header.linkname));
        if (target && 'put' in target) ops.push({ put: name, node: target.node });
      }
      // Devices, fifos: not kept (no root here).
    }
    return { ops, diffId: reader.digest(), size };
  }

  hasLayer(chainId: string): boolean {
    return this.layers.has(chainId);
  }

  async removeLayer(chainId: string): Promise<void> {
    if (!this.layers.has(chainId)) throw new NotFoundError(`layer ${chainId} does not exist`);
    const users = [...this.layers].filter(([, l]) => l.parent === chainId).map(([c]) => c)
      .concat([...this.snapshots].filter(([, s]) => s.parent === chainId).map(([k]) => k));
    if (users.length) throw new ConflictError(`layer ${chainId} is in use by ${users.join(', ')}`);
    this.layers.delete(chainId);
  }

  layerPaths(chainId: string): Record<string, string> {
    if (!this.layers.has(chainId)) throw new NotFoundError(`layer ${chainId} does not exist`);
    return { Dir: path.join(this.root, 'layers', chainId.replace(/^sha256:/, '')) };
  }

  /** The chain's files, oldest layer first, whiteouts applied. */
  private chainFiles(top: string | undefined): Map<string, Node> {
    const chain: Layer[] = [];
    for (let c = top; c !== undefined; c = this.layers.get(c)!.parent) chain.unshift(this.layers.get(c)!);
    const files = new Map<string, Node>();
    const drop = (p: string) => { for (const k of [...files.keys()]) if (k === p || k.startsWith(`${p}/`)) files.delete(k); };
    for (const l of chain) {
      for (const op of l.ops) {
        if ('whiteout' in op) drop(op.whiteout);
        else if ('opaque' in op) { for (const k of [...files.keys()]) if (k.startsWith(`${op.opaque}/`)) files.delete(k); }
        else files.set(op.put, op.node);
      }
    }
    return files;
  }

  async prepare(key: string, parent: string | undefined): Promise<Mount[]> {
    if (this.snapshots.has(key)) throw new ConflictError(`snapshot ${key} already exists`);
    if (parent !== undefined && !this.layers.has(parent)) throw new NotFoundError(`layer ${parent} does not exist`);
    const dir = path.join(this.root, 'snapshots', key);
    fs.mkdirSync(dir, { recursive: true });
    for (const [p, n] of [...this.chainFiles(parent)].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const abs = path.join(dir, p);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      if (n.type === 'dir') { fs.mkdirSync(abs, { recursive: true }); fs.chmodSync(abs, n.mode); }
      else if (n.type === 'symlink') fs.symlinkSync(n.target, abs);
      else { fs.writeFileSync(abs, n.body); fs.chmodSync(abs, n.mode); }
    }
    this.snapshots.set(key, { parent, dir, baseline: walk(dir), mounted: false });
    return this.mounts(key);
  }

  private snap(key: string): Snapshot {
    const s = this.snapshots.get(key);
    if (!s) throw new NotFoundError(`snapshot ${key} does not exist`);
    return s;
  }

  mounts(key: string): Mount[] {
    return [{ type: 'bind', source: this.snap(key).dir, options: ['rbind', 'rw'] }];
  }

  snapshotPaths(key: string): Record<string, string> {
    const s = this.snap(key);
    return { MergedDir: s.dir, UpperDir: s.dir };
  }

  async changes(key: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[]> {
    const s = this.snap(key);
    const now = walk(s.dir);
    const out = new Map<string, 0 | 1 | 2>();
    const touchParents = (p: string) => {
      for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) if (s.baseline.has(d) && !out.has(d)) out.set(d, 0);
    };
    for (const [p, d] of now) {
      const was = s.baseline.get(p);
      if (was === undefined) { out.set(p, 1); touchParents(p); } else if (was !== d) { out.set(p, 0); touchParents(p); }
    }
    for (const p of s.baseline.keys()) {
      if (now.has(p)) continue;
      if (!now.has(path.posix.dirname(p)) && path.posix.dirname(p) !== '/') continue; // under a deleted dir
      out.set(p, 2);
      touchParents(p);
    }
    return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Path, Kind]) => ({ Path, Kind }));
  }

  diff(key: string): Readable {
    return Readable.from((async function* (this: FakeSnapshots) {
      const s = this.snap(key);
      const entries: { header: TarWriteEntry['header']; body?: Buffer }[] = [];
      for (const c of await this.changes(key)) {
        const rel = c.Path.slice(1);
        if (c.Kind === 2) { entries.push({ header: { name: path.posix.join(path.posix.dirname(rel), `.wh.${path.posix.basename(rel)}`), type: 'file', size: 0 } }); continue; }
        const abs = path.join(s.dir, rel);
        const st = fs.lstatSync(abs);
        if (st.isDirectory()) entries.push({ header: { name: rel, type: 'dir', mode: st.mode & 0o7777 } });
        else if (st.isSymbolicLink()) entries.push({ header: { name: rel, type: 'symlink', linkname: fs.readlinkSync(abs) } });
        else { const b = fs.readFileSync(abs); entries.push({ header: { name: rel, type: 'file', mode: st.mode & 0o7777, size: b.length }, body: b }); }
      }
      yield createTar(entries);
    }).call(this));
  }

  async mount(key: string): Promise<string> {
    const s = this.snap(key);
    s.mounted = true;
    return s.dir;
  }

  async unmount(key: string): Promise<void> {
    const s = this.snapshots.get(key);
    if (s) s.mounted = false;
  }

  async remove(key: string): Promise<void> {
    const s = this.snap(key);
    fs.rmSync(s.dir, { recursive: true, force: true });
    this.snapshots.delete(key);
  }

  list(): { layers: string[]; snapshots: string[] } {
    return { layers: [...this.layers.keys()].sort(), snapshots: [...this.snapshots.keys()].sort() };
  }

  status(): [string, string][] {
    return [['Backing Filesystem', 'fake (memory + plain directories)']];
  }
}
