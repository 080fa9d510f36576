/**
 * Turns files on disk into tar entries for layer diffs: header from lstat (mtime truncated
 * to seconds, as docker does for reproducible layers), `user.*`/`security.*` xattrs, hard
 * links within one diff, and a streamed body read from the file (exactly `size` bytes).
 */
import fs from 'node:fs';
import { llistxattr, lgetxattr, splitdev } from '../../../common/native/libc.ts';
import type { TarEntryType, TarWriteEntry } from '../../../common/tar/index.ts';

/** Hard-link bookkeeping for one diff: inode → first emitted path. */
export type LinkMap = Map<string, string>;

export function typeOfStat(st: fs.Stats): TarEntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'other';
}

export function layerXattrs(abs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of llistxattr(abs)) {
    if (!name.startsWith('user.') && !name.startsWith('security.')) continue;
    const v = lgetxattr(abs, name);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}

/** The tar entry for `abs` stored as `rel`; undefined for sockets (docker skips them). */
export function fsEntry(abs: string, rel: string, st: fs.Stats, links: LinkMap): TarWriteEntry | undefined {
  const type = typeOfStat(st);
  if (type === 'other') return undefined;
  const base = {
    name: type === 'dir' ? `${rel}/` : rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
    mtime: Math.floor(st.mtimeMs / 1000), xattrs: layerXattrs(abs),
  };
  if (type !== 'dir' && st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) return { header: { ...base, type: 'link', linkname: first } };
    links.set(key, rel);
  }
  switch (type) {
    case 'file':
      return { header: { ...base, type, size: st.size }, body: readExactly(abs, st.size) };
    case 'symlink':
      return { header: { ...base, type, linkname: fs.readlinkSync(abs) } };
    case 'char':
    case 'block': {
      const { major, minor } = splitdev(st.rdev);
      return { header: { ...base, type, devmajor: major, devminor: minor } };
    }
    default:
      return { header: { ...base, type } };
  }
}

/** Files up to this size are read with one synchronous read (no thread-pool round trips). */
const SMALL_FILE = 1 << 20;

async function* readExactly(abs: string, size: number): AsyncGenerator<Buffer> {
  if (size <= SMALL_FILE) {
    // Three async calls per file (open, read, close) made a 5000-file diff ~6x slower.
    const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const buf = Buffer.allocUnsafe(size);
    try {
      for (let off = 0; off < size;) {
        const n = fs.readSync(fd, buf, off, size - off, off);
        if (n === 0) throw new Error(`${abs}: file shrank while being archived`);
        off += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    if (size > 0) yield buf;
    return;
  }
  const fh = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    for (let left = size; left > 0; ) {
      const buf = Buffer.allocUnsafe(Math.min(left, 256 * 1024));
      const { bytesRead } = await fh.read(buf, 0, buf.length, size - left);
      if (bytesRead === 0) throw new Error(`${abs}: file shrank while being archived`);
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Sorted directory listing (tar order is stable and reproducible). */
export function sortedDir(abs: string): string[] {
  return fs.readdirSync(abs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Docker's `docker diff` list: ancestors of changed paths are reported as modified. */
export function withParents(changes: Map<string, 0 | 1 | 2>): { Path: string; Kind: 0 | 1 | 2 }[] {
  for (const p of [...changes.keys()]) {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const parent = p.slice(0, i);
      if (!changes.has(parent)) changes.set(parent, 0);
    }
  }
  return [...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Path, Kind]) => ({ Path, Kind }));
}
