/**
 * The uploaded build context, read once as it arrives and never extracted as a whole: the tar
 * (plain, gzip, bzip2 or xz) becomes an in-memory tree of entries (names, modes, times, link
 * targets, the sha256 of every file's bytes) and one spool holding the files' bytes back to
 * back (in memory up to SPOOL_MEMORY, then in a file: spool.ts). The layer cache keys COPY/ADD on the tree alone (`hash`), so a fully cached build
 * costs the upload and the hashing; only a step that really copies writes files, straight
 * from the spool into the step's rootfs (`copyInto`).
 *
 * The rules of an extracted context hold: an entry that climbs out (`../x`) fails the
 * upload, a parent that is a symlink resolves inside the context (as extraction clamped it),
 * hard links must point at an earlier entry, later entries replace earlier ones, devices and
 * fifos are dropped; sources that lead out (`../x`, a symlink to `/etc`) are refused with
 * docker's "forbidden path outside the build context" (SECURITY-CHECKS 15).
 *
 *   const ctx = await ReceivedContext.receive(dir, req);     // dir: private, removed after the build
 *   const df = ctx.locateDockerfile('Dockerfile');
 *   for (const s of ctx.sources('src/*.ts', 'COPY')) ctx.hash(s.node, s.rel);
 *   ctx.copyInto(node, '/rootfs/app/x', { uid: 0, gid: 0 });
 *   ctx.close();
 *
 * On disk: `<dir>/context.data` (the spool beyond its memory part, 0600).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { matchesDockerignore, readDockerignore } from '../../common/dockerignore.ts';
import { InvalidArgumentError } from '../../common/errors.ts';
import { TarPushReader } from '../../common/tar/push-reader.ts';
import { forEachPlainChunk } from './archive.ts';
import { sourcePaths } from './context.ts';
import { clear, entryName, OutsideRootError, type Owner } from './scoped-fs.ts';
import { Spool } from './spool.ts';

const MAX_LINKS = 255;
const COPY_BUF = 1 << 20;
/** Context bytes kept in memory before the spool goes to disk. */
export const SPOOL_MEMORY = 256 << 20;

/** One entry of the context tree. */
export interface CtxNode {
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits (07777). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** File bytes and where they start in the spool. */
  size: number;
  offset: number;
  /** sha256 (hex) of a file's bytes. */
  digest: string;
  linkname: string;
  children?: Map<string, CtxNode>;
}

export interface CtxSource {
  /** The path as matched, relative to the context (`a/b.txt`). */
  rel: string;
  /** The entry it resolved to (never a symlink). */
  node: CtxNode;
}

const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const;

function dirNode(mode: number, mtime: number): CtxNode {
  return { type: 'dir', mode, mtime, size: 0, offset: 0, digest: '', linkname: '', children: new Map() };
}

function sortedNames(n: CtxNode): string[] {
  return [...n.children!.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Runs `create`; false when its target existed (EEXIST), other errors thrown. */
function tryCreate(create: () => void): boolean {
  try {
    create();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export class ReceivedContext {
  private readonly root: CtxNode;
  private buf: Buffer | undefined;

  private constructor(private readonly spool: Spool, root: CtxNode) {
    this.root = root;
  }

  /**
   * Reads the request body into a tree and a spool (`<dir>/context.data` beyond `memoryLimit`
   * bytes; `dir` is created). An empty body is an empty context.
   */
  static async receive(dir: string, body: Readable, memoryLimit = SPOOL_MEMORY): Promise<ReceivedContext> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const now = Date.now() / 1000;
    const ctx = new ReceivedContext(new Spool(path.join(dir, 'context.data'), memoryLimit), dirNode(0o755, now));
    try {
      await ctx.read(body, now);
    } catch (err) {
      ctx.close();
      throw err;
    }
    return ctx;
  }

  private async read(body: Readable, now: number): Promise<void> {
    const spool = this.spool;
    let file: { parent: CtxNode; base: string; hash: Hash; offset: number } | undefined;
    const parser = new TarPushReader({
      entry: (h) => {
        const name = entryName(h.name);
        if (name === undefined) return;
        const parent = this.mkdirs(path.posix.dirname(name), now);
        const base = path.posix.basename(name);
        const mode = h.mode & 0o7777;
        if (h.type === 'dir') {
          const old = parent.children!.get(base);
          if (old?.type === 'dir') { old.mode = mode; old.mtime = h.mtime; } else parent.children!.set(base, dirNode(mode, h.mtime));
        } else if (h.type === 'file') {
          file = { parent, base, hash: createHash('sha256'), offset: spool.length };
        } else if (h.type === 'symlink') {
          parent.children!.set(base, { type: 'symlink', mode: 0o777, mtime: h.mtime, size: 0, offset: 0, digest: '', linkname: h.linkname });
        } else if (h.type === 'link') {
          const linkRel = entryName(h.linkname);
          if (linkRel === undefined) throw new OutsideRootError(`invalid hardlink ${h.name} -> ${h.linkname}`);
          const src = this.lookup(this.resolve(linkRel, { followLast: false }));
          if (!src || src.type === 'dir') throw new InvalidArgumentError(`invalid hardlink ${h.name} -> ${h.linkname}`);
          parent.children!.set(base, { ...src });
        }
        // devices and fifos are not part of a build context
      },
      data: (c) => {
        if (!file) return; // the bytes of an entry that is not kept
        file.hash.update(c);
        spool.append(c);
      },
      end: (h) => {
        if (!file) return;
        const f = file;
        file = undefined;
        f.parent.children!.set(f.base, { type: 'file', mode: h.mode & 0o7777, mtime: h.mtime, size: spool.length - f.offset, offset: f.offset, digest: f.hash.digest('hex'), linkname: '' });
      },
    });
    await forEachPlainChunk(body, (c) => parser.push(c));
    // The docker CLI (classic builder, `-f` outside the context) ends the stream after the
    // last entry's data, without padding or end-of-archive blocks; Go's reader accepts that.
    parser.finish({ lenient: true });
  }

  close(): void {
    this.spool.close();
  }

  /** `n` bytes of the spool at `pos` (a view when they are in memory). */
  private slice(pos: number, n: number, into?: Buffer): Buffer {
    const v = this.spool.view(pos, n);
    if (v) return v;
    const out = into && into.length >= n ? into.subarray(0, n) : Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const r = this.spool.read(out, o, n - o, pos + o);
      if (r <= 0) throw new Error(`build context spool: short read at ${pos + o}`);
      o += r;
    }
    return out;
  }

  /**
   * The components of `p` inside the context, symlinks resolved in scope. Without `strict`,
   * `..` and absolute targets are clamped to the root; with it they throw OutsideRootError.
   */
  private resolve(p: string, o: { followLast?: boolean; strict?: boolean } = {}): string[] {
    const followLast = o.followLast ?? true;
    const queue = p.split('/').filter((c) => c !== '' && c !== '.');
    const cur: string[] = [];
    const nodes: (CtxNode | undefined)[] = [this.root];
    let links = 0;
    while (queue.length) {
      const c = queue.shift()!;
      if (c === '.') continue;
      if (c === '..') {
        if (cur.length === 0 && o.strict) throw new OutsideRootError(`path ${p} is outside of the root`);
        if (cur.length) { cur.pop(); nodes.pop(); }
        continue;
      }
      const at = nodes.at(-1);
      const n = at?.type === 'dir' ? at.children!.get(c) : undefined;
      if (n?.type === 'symlink' && (queue.length > 0 || followLast)) {
        if (++links > MAX_LINKS) throw new InvalidArgumentError(`too many levels of symbolic links: ${p}`);
        if (n.linkname.startsWith('/')) {
          if (o.strict) throw new OutsideRootError(`symlink ${p} points outside of the root`);
          cur.length = 0;
          nodes.length = 1;
        }
        queue.unshift(...n.linkname.split('/').filter((x) => x !== '' && x !== '.'));
        continue;
      }
      cur.push(c);
      nodes.push(n);
    }
    return cur;
  }

  private lookup(parts: string[]): CtxNode | undefined {
    let n: CtxNode | undefined = this.root;
    for (const c of parts) {
      if (n?.type !== 'dir') return undefined;
      n = n.children!.get(c);
    }
    return n;
  }

  /** mkdir -p in the tree (parents resolved in scope); an existing non-directory fails like extraction did. */
  private mkdirs(p: string, now: number): CtxNode {
    let n = this.root;
    for (const c of this.resolve(p)) {
      let next = n.children!.get(c);
      if (!next) { next = dirNode(0o755, now); n.children!.set(c, next); }
      if (next.type !== 'dir') throw new InvalidArgumentError(`mkdir ${p}: not a directory`);
      n = next;
    }
    return n;
  }

  private readText(name: string): string | undefined {
    let n: CtxNode | undefined;
    try { n = this.lookup(this.resolve(name, { strict: true })); } catch { return undefined; }
    if (n?.type !== 'file') return undefined;
    return this.bytes(n).toString('utf8');
  }

  private bytes(n: CtxNode): Buffer {
    return Buffer.from(this.slice(n.offset, n.size));
  }

  /** The Dockerfile: its text and the name it was found under (a missing `Dockerfile` falls back to `dockerfile`, as docker does). */
  locateDockerfile(name: string): { name: string; text: string } {
    const text = this.readText(name);
    if (text !== undefined) return { name, text };
    if (name === 'Dockerfile') {
      const lower = this.readText('dockerfile');
      if (lower !== undefined) return { name: 'dockerfile', text: lower };
    }
    throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${name}`);
  }

  /**
   * docker's removeDockerfile: clients always send the .dockerignore and the Dockerfile (one
   * given from outside the context comes as `.dockerfile.<random>`); each of them that
   * .dockerignore excludes is dropped from the tree, so `COPY .` does not see it.
   */
  removeIgnoredBuildFiles(dockerfile: string): void {
    const ignore = this.readText('.dockerignore');
    if (ignore === undefined) return;
    const patterns = readDockerignore(ignore);
    for (const name of ['.dockerignore', dockerfile]) {
      if (!matchesDockerignore(name, patterns)) continue;
      const clean = path.posix.normalize(name.replace(/^\/+/, ''));
      let dir: CtxNode | undefined;
      try { dir = this.lookup(this.resolve(path.posix.dirname(clean), { strict: true })); } catch { continue; }
      if (dir?.type === 'dir') dir.children!.delete(path.posix.basename(clean));
    }
  }

  /** Sources of a COPY/ADD: one path or a wildcard pattern, confined to the context. */
  sources(src: string, cmd: string): CtxSource[] {
    return sourcePaths(src, cmd, () => this.walk()).rels.map((rel) => ({ rel, node: this.find(rel, src, cmd) }));
  }

  private find(rel: string, src: string, cmd: string): CtxNode {
    let parts: string[];
    try {
      parts = this.resolve(rel, { strict: true });
    } catch (err) {
      if (err instanceof OutsideRootError) throw new InvalidArgumentError(`forbidden path outside the build context: ${src} ()`);
      throw err;
    }
    const n = this.lookup(parts);
    if (!n || n.type === 'symlink') {
      throw new InvalidArgumentError(`${cmd} failed: file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`);
    }
    return n;
  }

  /** Every path in the context (relative, slash-separated), parents before children, by name. */
  private walk(): string[] {
    const out: string[] = [];
    const rec = (n: CtxNode, prefix: string) => {
      for (const name of sortedNames(n)) {
        const rel = prefix ? `${prefix}/${name}` : name;
        out.push(rel);
        const c = n.children!.get(name)!;
        if (c.type === 'dir') rec(c, rel);
      }
    };
    rec(this.root, '');
    return out;
  }

  /**
   * Content hash of a source for the layer cache: names, types, modes, link targets and the
   * files' bytes (their sha256); not times or owners (the copy is chowned anyway). A file
   * is hashed under its own name (`COPY a /d/` and `COPY b /d/` make different files).
   */
  hash(node: CtxNode, rel: string): { kind: 'file' | 'dir'; hex: string } {
    const h = createHash('sha256');
    const visit = (n: CtxNode, name: string) => {
      h.update(`${name}\0${(TYPE_BITS[n.type] | n.mode).toString(8)}\0`);
      if (n.type === 'symlink') h.update(`L${n.linkname}\0`);
      else if (n.type === 'file') h.update(`F${n.size}\0${n.digest}\0`);
      else for (const c of sortedNames(n)) visit(n.children!.get(c)!, `${name}/${c}`);
    };
    visit(node, node.type === 'dir' ? '.' : path.posix.basename(rel));
    return { kind: node.type === 'dir' ? 'dir' : 'file', hex: h.digest('hex') };
  }

  /** A file's bytes as a stream (ADD's archive sniffing and extraction). */
  open(n: CtxNode): Readable {
    const self = this;
    return Readable.from((function* () {
      for (let o = 0; o < n.size; o += COPY_BUF) yield Buffer.from(self.slice(n.offset + o, Math.min(COPY_BUF, n.size - o)));
    })());
  }

  /** The children of a directory entry, by name. */
  entries(n: CtxNode): [string, CtxNode][] {
    return sortedNames(n).map((name) => [name, n.children!.get(name)!]);
  }

  /**
   * Writes entry `n` (a file, a symlink as a link, or a directory tree) at host path `dst`,
   * whose parent exists; modes and times from the context, owner `owner`. Whatever was at
   * `dst` is replaced (a directory is merged into), never followed.
   */
  copyInto(n: CtxNode, dst: string, owner: Owner): void {
    if (n.type === 'dir') {
      if (!tryCreate(() => fs.mkdirSync(dst))) {
        clear(dst, true);
        if (!fs.existsSync(dst)) fs.mkdirSync(dst);
      }
      for (const [name, c] of this.entries(n)) this.copyInto(c, path.join(dst, name), owner);
      fs.chmodSync(dst, n.mode);
      fs.lchownSync(dst, owner.uid, owner.gid);
      fs.utimesSync(dst, n.mtime, n.mtime);
      return;
    }
    if (n.type === 'symlink') {
      if (!tryCreate(() => fs.symlinkSync(n.linkname, dst))) { clear(dst, false); fs.symlinkSync(n.linkname, dst); }
      fs.lchownSync(dst, owner.uid, owner.gid);
      return;
    }
    // O_EXCL: an existing entry (a symlink above all) is removed first, never followed.
    let out = -1;
    if (!tryCreate(() => { out = fs.openSync(dst, 'wx', 0o600); })) { clear(dst, false); out = fs.openSync(dst, 'wx', 0o600); }
    try {
      for (let done = 0; done < n.size;) {
        const part = this.slice(n.offset + done, Math.min(COPY_BUF, n.size - done), this.buf ??= Buffer.allocUnsafe(COPY_BUF));
        for (let o = 0; o < part.length;) o += fs.writeSync(out, part, o, part.length - o);
        done += part.length;
      }
      fs.fchownSync(out, owner.uid, owner.gid);
      fs.fchmodSync(out, n.mode);
      fs.futimesSync(out, n.mtime, n.mtime);
    } finally {
      fs.closeSync(out);
    }
  }
}
