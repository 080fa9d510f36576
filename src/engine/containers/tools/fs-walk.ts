/**
 * Tar entries of a tree in a container's filesystem view (for `GET /archive` and `export`):
 * walked by container path so a mount inside the tree shows its own contents, never
 * following symlinks (lstat), hard links within one archive as tar links, sockets skipped.
 * Also the Go `os.FileMode` encoding that docker's path-stat header carries.
 *
 *   Readable.from(tarStream(walkEntries(cfs, '/etc', 'etc')))   // etc/, etc/passwd, …
 */
import fs from 'node:fs';
import { splitdev } from '../../../common/native/libc.ts';
import type { TarEntryType, TarWriteEntry } from '../../../common/tar/index.ts';
import type { ContainerFs } from './path-resolve.ts';

export function typeOfStat(st: fs.Stats): TarEntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'other';
}

// Go's io/fs FileMode type bits.
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHARDEV = 2 ** 21;
const GO_STICKY = 2 ** 20;

/** A Unix st_mode as Go's os.FileMode (what docker's X-Docker-Container-Path-Stat `mode` holds). */
export function goFileMode(st: fs.Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m += GO_SETUID;
  if (st.mode & 0o2000) m += GO_SETGID;
  if (st.mode & 0o1000) m += GO_STICKY;
  if (st.isDirectory()) m += GO_DIR;
  else if (st.isSymbolicLink()) m += GO_SYMLINK;
  else if (st.isCharacterDevice()) m += GO_DEVICE + GO_CHARDEV;
  else if (st.isBlockDevice()) m += GO_DEVICE;
  else if (st.isFIFO()) m += GO_PIPE;
  else if (st.isSocket()) m += GO_SOCKET;
  return m;
}

function entryFor(host: string, name: string, st: fs.Stats, links: Map<string, string>): TarWriteEntry | undefined {
  const type = typeOfStat(st);
  if (type === 'other') return undefined;
  const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
  if (type !== 'dir' && st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) return { header: { ...base, type: 'link', linkname: first } };
    links.set(key, name);
  }
  switch (type) {
    case 'file': return { header: { ...base, type, size: st.size }, body: readExactly(host, st.size) };
    case 'symlink': return { header: { ...base, type, linkname: fs.readlinkSync(host) } };
    case 'char':
    case 'block': {
      const { major, minor } = splitdev(st.rdev);
      return { header: { ...base, type, devmajor: major, devminor: minor } };
    }
    default: return { header: { ...base, type } };
  }
}

async function* readExactly(host: string, size: number): AsyncGenerator<Buffer> {
  const fh = await fs.promises.open(host, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, 256 * 1024));
      const { bytesRead } = await fh.read(buf, 0, buf.length, size - left);
      // A file that shrank while archived is padded with zeros, as the size is already promised.
      if (bytesRead === 0) { yield Buffer.alloc(left); return; }
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Entries for container path `cpath` (already resolved, the last component not followed)
 * and everything under it, named `top` and `top/…` (`top` = '' for a root listing without a
 * root entry, as `export` writes it; `/` gives `/`, `/bin`, … as docker's GET of `/` does).
 */
export async function* walkEntries(cfs: ContainerFs, cpath: string, top: string): AsyncGenerator<TarWriteEntry> {
  const links = new Map<string, string>();
  const stack: { cpath: string; name: string }[] = [{ cpath, name: top }];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    const { host } = cfs.hostOf(cur.cpath);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(host);
    } catch {
      continue; // vanished while walking
    }
    const e = entryFor(host, st.isDirectory() && !cur.name.endsWith('/') ? `${cur.name}/` : cur.name, st, links);
    if (e && cur.name !== '') yield e;
    if (!st.isDirectory()) continue;
    let names: string[];
    try {
      names = fs.readdirSync(host);
    } catch {
      continue;
    }
    names.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)); // reversed: the stack pops in order
    for (const n of names) {
      stack.push({ cpath: cur.cpath === '/' ? `/${n}` : `${cur.cpath}/${n}`, name: cur.name === '' || cur.name.endsWith('/') ? `${cur.name}${n}` : `${cur.name}/${n}` });
    }
  }
}
