/**
 * `PUT /containers/{id}/archive`: extracts a tar into a directory of a container's live
 * filesystem view, safely. Rules (SECURITY-CHECKS 11/12):
 *   - entry names are cleaned; one that climbs above the extraction point (`../x`) refuses
 *     the archive (400); a leading `/` is relative to the extraction point;
 *   - every entry's parent is resolved through ContainerFs (symlinks followed inside the
 *     container's root and mounts, never on the host), so an entry can land anywhere inside
 *     the container but nowhere outside it;
 *   - the final component is never followed: an existing symlink there is replaced, files are
 *     created O_CREAT|O_EXCL|O_NOFOLLOW, symlink targets are stored verbatim;
 *   - hard links only to non-directories resolved the same way (relative to the extraction
 *     point, like docker);
 *   - `noOverwriteDirNonDir`: a dir never replaces a non-dir and vice versa (else replaced);
 *   - ownership, mode and times are set through O_NOFOLLOW file descriptors: the tar's uid/gid,
 *     or `chown` for all entries (docker's copyUIDGID = the container user);
 *   - read-only mounts and a read-only rootfs refuse the write.
 * Known limit (as in moby before its chroot extraction): against a *running* container that
 * swaps a parent directory for a symlink between resolution and use, the race is not closed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, SystemError, isDiskFull } from '../../../common/errors.ts';
import { mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../../common/native/libc.ts';
import { TarReader, type TarHeader } from '../../../common/tar/index.ts';
import { lstatOrUndefined, type ContainerFs } from './path-resolve.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = fs.constants;

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  /** uid/gid for every entry instead of the tar's. */
  chown?: { uid: number; gid: number };
  /** The container's rootfs is read-only (writes outside writable mounts refused). */
  readonlyRootfs: boolean;
}

/** Entry name → path relative to the extraction point ('' = the point itself); throws on escapes. */
export function cleanEntryName(name: string): string {
  let depth = 0;
  for (const c of name.split('/')) {
    if (c === '..') depth--;
    else if (c !== '' && c !== '.') depth++;
    if (depth < 0) throw new InvalidArgumentError(`invalid archive: ${JSON.stringify(name)} is outside of the extraction point`);
  }
  return path.posix.relative('/', path.posix.normalize(`/${name}`));
}

/** Extracts `body` under container directory `dest` (resolved, a directory). */
export async function extractArchive(cfs: ContainerFs, dest: string, body: AsyncIterable<Buffer | Uint8Array>, o: ExtractOptions): Promise<void> {
  const dirTimes: { host: string; mtime: number }[] = [];
  for await (const { header, body: data } of new TarReader(body)) {
    const rel = cleanEntryName(header.name);
    if (rel === '') {
      // The extraction point itself: docker leaves it alone.
      for await (const _ of data) { /* skip */ }
      continue;
    }
    const cpath = dest === '/' ? `/${rel}` : `${dest}/${rel}`;
    const parent = cfs.resolve(path.posix.dirname(cpath), true);
    const target = cfs.hostOf(parent.path === '/' ? `/${path.posix.basename(cpath)}` : `${parent.path}/${path.posix.basename(cpath)}`);
    const writable = target.mount ? !target.mount.readOnly : !o.readonlyRootfs;
    if (!writable) throw new InvalidArgumentError(target.mount ? 'mounted volume is marked read-only' : 'container rootfs is marked read-only');
    const parentSt = lstatOrUndefined(parent.host);
    if (!parentSt) fs.mkdirSync(parent.host, { recursive: true, mode: 0o755 });
    else if (!parentSt.isDirectory()) throw new InvalidArgumentError(`cannot extract ${JSON.stringify(header.name)}: ${parent.path} is not a directory`);
    const host = target.host;
    const existing = lstatOrUndefined(host);
    if (existing) {
      if (o.noOverwriteDirNonDir && existing.isDirectory() && header.type !== 'dir') {
        throw new InvalidArgumentError(`cannot overwrite directory ${JSON.stringify(cpath)} with non-directory ${JSON.stringify(header.name)}`);
      }
      if (o.noOverwriteDirNonDir && !existing.isDirectory() && header.type === 'dir') {
        throw new InvalidArgumentError(`cannot overwrite non-directory ${JSON.stringify(cpath)} with directory ${JSON.stringify(header.name)}`);
      }
      if (!(existing.isDirectory() && header.type === 'dir')) fs.rmSync(host, { recursive: true, force: true });
    }
    if (!(await writeEntry(cfs, dest, host, header, data))) continue;
    setMetadata(host, header, o.chown ?? { uid: header.uid, gid: header.gid });
    if (header.type === 'dir') dirTimes.push({ host, mtime: header.mtime });
  }
  // Directory times last: writing their entries changed them.
  for (const d of dirTimes.reverse()) withFd(d.host, true, (fd) => fs.futimesSync(fd, d.mtime, d.mtime));
}

/** Opens without following a final symlink (a running container may swap one in), runs fn. */
function withFd(host: string, dir: boolean, fn: (fd: number) => void): void {
  const fd = fs.openSync(host, O_RDONLY | O_NOFOLLOW | (dir ? O_DIRECTORY : 0));
  try {
    fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Owner, mode and mtime, through an fd for files and dirs (chown before chmod keeps set-id bits). */
function setMetadata(host: string, h: TarHeader, owner: { uid: number; gid: number }): void {
  if (h.type === 'link') return;
  if (h.type === 'file' || h.type === 'dir') {
    withFd(host, h.type === 'dir', (fd) => {
      fs.fchownSync(fd, owner.uid, owner.gid);
      fs.fchmodSync(fd, h.mode & 0o7777);
      if (h.type === 'file') fs.futimesSync(fd, h.mtime, h.mtime);
    });
    return;
  }
  // Symlinks, devices and fifos: never opened; their mode came with mknod/symlink.
  fs.lchownSync(host, owner.uid, owner.gid);
  fs.lutimesSync(host, h.mtime, h.mtime);
}

/** Creates the entry; false when it was skipped (unknown type). */
async function writeEntry(cfs: ContainerFs, dest: string, host: string, h: TarHeader, data: AsyncIterable<Buffer>): Promise<boolean> {
  switch (h.type) {
    case 'dir':
      if (!lstatOrUndefined(host)) fs.mkdirSync(host, { mode: 0o700 });
      break;
    case 'file': {
      const fd = fs.openSync(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        for await (const c of data) {
          let off = 0;
          while (off < c.length) off += fs.writeSync(fd, c, off, c.length - off);
        }
      } catch (err) {
        // No half-written file stays behind (O_EXCL: the file is ours): a full disk keeps no
        // partial copy holding the space.
        fs.closeSync(fd);
        fs.rmSync(host, { force: true });
        if (isDiskFull(err)) throw new SystemError(`write ${h.name}: no space left on device`);
        throw err;
      }
      fs.closeSync(fd);
      return true;
    }
    case 'symlink':
      fs.symlinkSync(h.linkname, host);
      break;
    case 'link': {
      const rel = cleanEntryName(h.linkname);
      const linkPath = dest === '/' ? `/${rel}` : `${dest}/${rel}`;
      const src = cfs.resolve(linkPath, false);
      const st = lstatOrUndefined(src.host);
      if (!st || st.isDirectory()) throw new InvalidArgumentError(`invalid hard link ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)}`);
      fs.linkSync(src.host, host);
      break;
    }
    case 'char':
    case 'block':
    case 'fifo': {
      const kind = h.type === 'char' ? S_IFCHR : h.type === 'block' ? S_IFBLK : S_IFIFO;
      mknod(host, kind | (h.mode & 0o7777), h.devmajor, h.devminor);
      break;
    }
    default:
      // Unknown types are skipped, as docker does.
      await drain(data);
      return false;
  }
  await drain(data);
  return true;
}

async function drain(data: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of data) { /* nothing */ }
}
