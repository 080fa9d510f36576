/**
 * Tar entries of a tree in a container's filesystem view (for `GET /archive` and `export`):
 * walked by container path so a mount inside the tree shows its own contents, never
 * following symlinks (lstat), hard links within one archive as tar links, sockets skipped.
 * Also the Go `os.FileMode` encoding that docker's path-stat header carries.
 *
 *   Readable.from(tarStream(walkEntries(cfs, '/etc', 'etc')))   // etc/, etc/passwd, …
 */
import fs from 'node:fs';
import type { TarWriteEntry } from '../../../common/tar/index.ts';
import { fsEntry } from '../../../common/tar/fs-entry.ts';
import type { ContainerFs } from './path-resolve.ts';

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
    const e = fsEntry(host, st.isDirectory() && !cur.name.endsWith('/') ? `${cur.name}/` : cur.name, st, links, { shrunk: 'pad' });
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
