/**
 * Extracts an OCI layer tar into a daemon-private directory, safely, in one pass that also
 * computes the DiffID. Shared by the overlay2 and vfs drivers; they differ only in how
 * whiteouts are represented:
 *   - 'overlay': `.wh.NAME` → char device 0/0 NAME; `.wh..wh..opq` → `trusted.overlay.opaque=y`
 *   - 'delete':  `.wh.NAME` → NAME removed; `.wh..wh..opq` → the dir emptied of everything
 *                not written by this layer (vfs applies on top of a copy of the parent).
 *
 * Safety rules (docs/design LAYERS.md): leading `/` is stripped and `..` escaping the root
 * refuses the whole layer; nothing is ever created through a symlink (parents are created as
 * real dirs, a parent that is a symlink written by this layer refuses the layer; one inherited
 * from the parent copy is replaced by a real dir, as overlayfs would show it); files are
 * opened O_CREAT|O_EXCL|O_NOFOLLOW; symlink targets are stored verbatim; hard links only to
 * non-directories this layer already wrote; only `user.*`/`security.*` xattrs are applied.
 * Work is synchronous fs calls in bounded slices: the event loop is yielded every ~10 ms.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../../common/errors.ts';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../../common/native/libc.ts';
import { TarReader, type TarHeader } from '../../../common/tar/index.ts';
import type { SplitRecorder } from '../../../common/tar/split.ts';
import type { ApplyResult } from '../contract.ts';

export type WhiteoutMode = 'overlay' | 'delete';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
const SLICE_MS = 10;
/** Files of this size and more are written asynchronously, 1 MiB at a time. */
const ASYNC_FILE = 1 << 20;

/** Writes every byte of `bufs` at the file's position (writev on the thread pool). */
async function writeAll(fd: number, bufs: Buffer[]): Promise<void> {
  let left = bufs;
  while (left.length) {
    const n = await new Promise<number>((resolve, reject) => fs.writev(fd, left, (err, written) => (err ? reject(err) : resolve(written))));
    let skip = n;
    const rest: Buffer[] = [];
    for (const b of left) {
      if (skip >= b.length) { skip -= b.length; continue; }
      rest.push(skip ? b.subarray(skip) : b);
      skip = 0;
    }
    left = rest;
  }
}

/** Cleans a tar path to a root-relative one ('' = root); throws on `..` escapes. */
export function cleanLayerPath(name: string): string {
  const n = path.posix.normalize(`/${name}`);
  const rel = path.posix.relative('/', n);
  // normalize('/' + x) can never go above '/', so check the raw components for escapes.
  let depth = 0;
  for (const c of name.split('/')) {
    if (c === '..') depth--;
    else if (c !== '' && c !== '.') depth++;
    if (depth < 0) throw new InvalidArgumentError(`invalid layer: ${JSON.stringify(name)} is outside of the layer root`);
  }
  return rel;
}

class Extractor {
  readonly #root: string;
  readonly #mode: WhiteoutMode;
  /** Paths written by this layer: 'dir' | 'other'. */
  readonly #created = new Map<string, 'dir' | 'other'>();
  /** Paths known to be real directories. */
  readonly #dirs = new Set<string>(['']);
  readonly #dirTimes = new Map<string, number>();
  size = 0;
  readonly #split: SplitRecorder | undefined;

  constructor(root: string, mode: WhiteoutMode, split?: SplitRecorder) {
    this.#root = root;
    this.#mode = mode;
    this.#split = split;
  }

  #abs(rel: string): string {
    return rel === '' ? this.#root : `${this.#root}/${rel}`;
  }

  /** Makes every ancestor of `rel` a real directory; false (create=false) when one is missing. */
  #parents(rel: string, create = true): boolean {
    const parts = rel.split('/');
    let p = '';
    for (let i = 0; i < parts.length - 1; i++) {
      p = p === '' ? parts[i] : `${p}/${parts[i]}`;
      if (this.#dirs.has(p)) continue;
      const st = fs.lstatSync(this.#abs(p), { throwIfNoEntry: false });
      if (st?.isDirectory()) {
        this.#dirs.add(p);
        continue;
      }
      if (st && this.#created.has(p)) {
        throw new InvalidArgumentError(`invalid layer: ${JSON.stringify(rel)} would be created through non-directory ${JSON.stringify(p)}`);
      }
      if (!create) return false;
      if (st) this.#remove(p);
      fs.mkdirSync(this.#abs(p), 0o755);
      this.#dirs.add(p);
      this.#created.set(p, 'dir');
    }
    return true;
  }

  /** Removes a path (never following symlinks) and forgets what was known below it. */
  #remove(rel: string): void {
    this.#split?.spill(rel, this.#root);
    fs.rmSync(this.#abs(rel), { recursive: true, force: true });
    const prefix = `${rel}/`;
    for (const set of [this.#dirs, this.#dirTimes, this.#created] as (Set<string> | Map<string, unknown>)[]) {
      for (const k of set.keys()) if (k === rel || k.startsWith(prefix)) set.delete(k);
    }
  }

  async entry(h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
    const rel = cleanLayerPath(h.name);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.#whiteout(rel, base, h);
    if (rel === '') {
      if (h.type === 'dir') this.#meta(rel, h, true);
      return;
    }
    this.#parents(rel);
    const full = this.#abs(rel);
    // Regular files (the bulk) skip the lstat: O_EXCL reports an existing path instead.
    const st = h.type === 'file' ? undefined : fs.lstatSync(full, { throwIfNoEntry: false });
    if (st && !(st.isDirectory() && h.type === 'dir')) this.#remove(rel);
    switch (h.type) {
      case 'dir':
        if (!st?.isDirectory()) fs.mkdirSync(full, 0o700);
        this.#dirs.add(rel);
        this.#created.set(rel, 'dir');
        this.#meta(rel, h, true);
        this.#dirTimes.set(rel, h.mtime);
        return;
      case 'file':
        await this.#file(rel, h, body);
        break;
      case 'symlink':
        fs.symlinkSync(h.linkname, full);
        this.size += Buffer.byteLength(h.linkname); // a symlink's size is its target's length, as docker counts
        this.#meta(rel, h, false);
        break;
      case 'link': {
        const target = cleanLayerPath(h.linkname);
        if (this.#created.get(target) !== 'other' || !this.#parents(target, false)) {
          throw new InvalidArgumentError(`invalid layer: hard link ${JSON.stringify(h.name)} to ${JSON.stringify(h.linkname)}, which is not a file of this layer`);
        }
        fs.linkSync(this.#abs(target), full);
        break;
      }
      case 'char':
      case 'block':
      case 'fifo': {
        const kind = h.type === 'char' ? S_IFCHR : h.type === 'block' ? S_IFBLK : S_IFIFO;
        mknod(full, kind | 0o600, h.devmajor, h.devminor);
        this.#meta(rel, h, true);
        break;
      }
      default:
        throw new InvalidArgumentError(`invalid layer: unhandled tar header type ${JSON.stringify(h.typeflag)} for ${JSON.stringify(h.name)}`);
    }
    this.#created.set(rel, 'other');
  }

  async #file(rel: string, h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
    const full = this.#abs(rel);
    let fd: number;
    try {
      fd = fs.openSync(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      this.#remove(rel); // a duplicate entry replaces what the layer wrote before
      fd = fs.openSync(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    }
    try {
      if (h.size < ASYNC_FILE) {
        for await (const chunk of body) {
          for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        }
      } else {
        // Big files in 1 MiB writes on the thread pool: a write the kernel holds back (dirty
        // page throttling on a busy disk) then stalls this file only, not every download and
        // request the event loop serves.
        let batch: Buffer[] = [];
        let len = 0;
        for await (const chunk of body) {
          batch.push(chunk);
          len += chunk.length;
          if (len >= ASYNC_FILE) {
            await writeAll(fd, batch);
            batch = [];
            len = 0;
          }
        }
        if (len) await writeAll(fd, batch);
      }
      this.size += h.size;
      fs.fchownSync(fd, h.uid, h.gid); // before caps/mode: chown clears setuid and security.capability
      this.#xattrs(full, h, false);
      fs.fchmodSync(fd, h.mode & 0o7777);
      fs.futimesSync(fd, h.mtime, h.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Owner, xattrs, mode (not for symlinks) and times of a just-created, non-file path. */
  #meta(rel: string, h: TarHeader, chmod: boolean): void {
    const full = this.#abs(rel);
    fs.lchownSync(full, h.uid, h.gid);
    this.#xattrs(full, h, !chmod);
    if (chmod) fs.chmodSync(full, h.mode & 0o7777); // full is verified not to be a symlink
    fs.lutimesSync(full, h.mtime, h.mtime);
  }

  #xattrs(full: string, h: TarHeader, symlink: boolean): void {
    for (const [name, value] of h.xattrs) {
      if (!name.startsWith('user.') && !name.startsWith('security.')) continue;
      try {
        lsetxattr(full, name, value);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || (symlink && code === 'EPERM')) continue;
        throw err;
      }
    }
  }

  #whiteout(rel: string, base: string, h: TarHeader): void {
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    if (base === OPAQUE_MARKER) {
      if (this.#mode === 'overlay') {
        this.#parents(rel);
        lsetxattr(this.#abs(dir), OPAQUE_XATTR, 'y');
      } else if (this.#parents(rel, false)) {
        for (const child of fs.readdirSync(this.#abs(dir))) {
          const c = dir === '' ? child : `${dir}/${child}`;
          if (!this.#created.has(c)) this.#remove(c);
        }
      }
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs metadata
    const name = base.slice(WHITEOUT_PREFIX.length);
    const target = dir === '' ? name : `${dir}/${name}`;
    if (name === '' || name === '.' || name === '..') throw new InvalidArgumentError(`invalid layer: bad whiteout ${JSON.stringify(h.name)}`);
    if (this.#mode === 'overlay') {
      this.#parents(target);
      if (fs.lstatSync(this.#abs(target), { throwIfNoEntry: false })) this.#remove(target);
      mknod(this.#abs(target), S_IFCHR | 0o600, 0, 0);
      fs.lchownSync(this.#abs(target), h.uid, h.gid);
    } else if (this.#parents(target, false)) {
      this.#remove(target);
    }
  }

  /** Directory times last (creating children changed them), deepest first. */
  finish(): void {
    const dirs = [...this.#dirTimes].sort(([a], [b]) => b.length - a.length);
    for (const [rel, t] of dirs) fs.lutimesSync(this.#abs(rel), t, t);
  }
}

/**
 * Applies a layer tar (plain or gzip) into `root` (an existing private directory). With
 * `split`, what it takes to regenerate the tar from `root` is recorded on the way.
 */
export async function applyLayerTar(root: string, tar: AsyncIterable<Buffer | Uint8Array>, mode: WhiteoutMode, split?: SplitRecorder): Promise<ApplyResult> {
  const reader = new TarReader(tar, { digest: true, split });
  const x = new Extractor(root, mode, split);
  let slice = Date.now();
  for await (const { header, body } of reader) {
    await x.entry(header, body);
    if (Date.now() - slice >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = Date.now();
    }
  }
  x.finish();
  return { diffId: reader.digest(), size: x.size };
}
