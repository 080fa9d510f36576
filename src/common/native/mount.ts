/**
 * Mounting a snapshot's `Mount[]` on a host directory (for the runtime, `cp`, `commit`,
 * `export`) and unmounting it. Lives in common/ so any driver kind may use it. Supports the
 * mount types the snapshot drivers hand out: `overlay` and `bind` (with `rbind`/`ro`
 * options). Synchronous: these are single syscalls.
 *
 *   mountAll(await driver.prepare(key, parent), '/run/wharf/x/rootfs');
 *   …
 *   unmount('/run/wharf/x/rootfs');
 */
import fs from 'node:fs';
import path from 'node:path';
import { SystemError } from '../errors.ts';
import { MNT_DETACH, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, mount, umount2 } from './libc.ts';

/** Same shape as the snapshot contract's `Mount` (containerd core/mount Mount). */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/** Mounts each of `mounts` on `target` in order (an existing directory). */
export function mountAll(mounts: Mount[], target: string): void {
  for (const m of mounts) {
    try {
      mountOne(m, target);
    } catch (err) {
      throw new SystemError(`error mounting ${m.type} on ${target}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function mountOne(m: Mount, target: string): void {
  const ro = m.options.includes('ro');
  if (m.type === 'bind' || m.options.includes('bind') || m.options.includes('rbind')) {
    const flags = MS_BIND | (m.options.includes('rbind') ? MS_REC : 0);
    mount(m.source, target, null, flags, null);
    if (ro) mount('', target, null, flags | MS_REMOUNT | MS_RDONLY, null);
    return;
  }
  const data = m.options.filter((o) => o !== 'ro' && o !== 'rw').join(',');
  mount(m.source, target, m.type, ro ? MS_RDONLY : 0, data);
}

/** Unmounts `target`; lazily (MNT_DETACH) when it is busy. Not mounted is not an error. */
export function unmount(target: string): void {
  try {
    umount2(target, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ENOENT') return;
    if (code === 'EBUSY') {
      umount2(target, MNT_DETACH);
      return;
    }
    throw new SystemError(`error unmounting ${target}: ${(err as Error).message}`, { cause: err });
  }
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Whether `target` is a mount point (per /proc/self/mountinfo). */
export function isMountPoint(target: string): boolean {
  const want = path.resolve(target);
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp !== undefined && unescapeMountinfo(mp) === want) return true;
  }
  return false;
}
