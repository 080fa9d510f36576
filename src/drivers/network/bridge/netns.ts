/**
 * Named network namespaces, the `ip netns` way but under our exec root: each one is an nsfs
 * bind mount on an empty file `<execRoot>/netns/<container-id>`, and the folder is a shared
 * bind mount of itself so that unmounting a namespace also drops the copies other mount
 * namespaces (e.g. `nsenter`, runc before pivot) made of it.
 * Creation is in-process (native.ts, ≈1 ms) or, without koffi, one spawn
 * (`unshare --net=FILE ip link set lo up`); deletion is a lazy unmount + unlink, which frees the namespace and with it the container end of every veth — far cheaper
 * than deleting the veth itself (NETWORK.md gotcha 1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../../../common/errors.ts';
import { run } from './exec.ts';
import { createNetnsNative, nativeAvailable, umountDetach } from './native.ts';

function mountPoints(): Set<string> {
  const set = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp) set.add(mp.replace(/\\040/g, ' '));
  }
  return set;
}

export function isMounted(p: string): boolean {
  return mountPoints().has(path.resolve(p));
}

/** Makes `dir` exist and be a shared bind mount of itself (iproute2's /run/netns recipe). */
export async function prepareNetnsDir(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (!isMounted(dir)) await run('mount', ['--bind', dir, dir]);
  await run('mount', ['--make-shared', dir]);
}

/** Unmounts the namespace folder itself (only when tearing everything down). */
export async function releaseNetnsDir(dir: string): Promise<void> {
  if (isMounted(dir)) await run('umount', ['-l', dir]);
}

/**
 * Creates a fresh network namespace bind-mounted at `nsPath`, with `lo` up. A stale one left by
 * a crash (the caller has no record of it) is replaced.
 */
export async function createNetns(nsPath: string): Promise<void> {
  try {
    fs.closeSync(fs.openSync(nsPath, 'wx', 0o444));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await deleteNetns(nsPath);
    try {
      fs.closeSync(fs.openSync(nsPath, 'wx', 0o444));
    } catch {
      throw new ConflictError(`network namespace ${nsPath} already exists`);
    }
  }
  try {
    if (nativeAvailable()) createNetnsNative(nsPath);
    else await run('unshare', [`--net=${nsPath}`, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await deleteNetns(nsPath);
    throw err;
  }
}

/** Unmounts and removes the namespace file; a missing one is not an error. */
export async function deleteNetns(nsPath: string): Promise<void> {
  if (nativeAvailable()) umountDetach(nsPath);
  else if (isMounted(nsPath)) await run('umount', ['-l', nsPath]);
  fs.rmSync(nsPath, { force: true });
}

export function listNetns(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
