/** Helpers for the snapshot driver conformance suite: ids, tars, tree snapshots, cleanup. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { llistxattr, lgetxattr, splitdev } from '../../src/common/native/libc.ts';
import { createTar, type TarWriteEntry } from '../../src/common/tar/index.ts';
import { isMountPoint, unmount } from '../../src/common/native/mount.ts';

export const chain = (name: string): string => `sha256:${createHash('sha256').update(name).digest('hex')}`;

export function tarOf(entries: { header: TarWriteEntry['header']; body?: Buffer | string }[]): Readable {
  return Readable.from([createTar(entries)]);
}

export async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/**
 * A comparable description of every path under `dir`: type+mode, owner, size, content hash
 * or link target or device, xattrs, mtime (seconds; layer tars carry seconds) and hard-link
 * group (the other paths sharing the inode).
 */
export function tree(dir: string, opts: { dirTimes?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<number, string[]>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(rel === '' ? dir : `${dir}/${rel}`).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = `${dir}/${r}`;
      const st = fs.lstatSync(abs);
      let what = '';
      if (st.isFile()) what = createHash('sha256').update(fs.readFileSync(abs)).digest('hex').slice(0, 16);
      else if (st.isSymbolicLink()) what = `-> ${fs.readlinkSync(abs)}`;
      else if (st.isCharacterDevice() || st.isBlockDevice()) what = JSON.stringify(splitdev(st.rdev));
      const xattrs = llistxattr(abs).filter((n) => n.startsWith('user.') || n.startsWith('security.')).sort()
        .map((n) => `${n}=${lgetxattr(abs, n)?.toString('hex')}`).join(',');
      const time = st.isDirectory() && !opts.dirTimes ? '' : String(Math.floor(st.mtimeMs / 1000));
      out[r] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? '' : st.size} ${what} [${xattrs}] ${time}`;
      if (!st.isDirectory()) inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), r]);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  for (const paths of inodes.values()) {
    if (paths.length > 1) for (const p of paths) out[p] += ` links=${paths.filter((x) => x !== p).join('|')}`;
  }
  return out;
}

/** Unmounts everything mounted below `dir` (deepest first), then removes it. */
export function cleanup(dir: string): void {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) for (let i = 0; i < 8 && isMountPoint(m); i++) unmount(m);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Every path under `dir`, relative, sorted (to prove nothing was written there). */
export function listAll(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const r = path.join(rel, name);
      out.push(r);
      if (fs.lstatSync(path.join(dir, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}
