/**
 * The few kernel calls the bridge driver makes in-process (libc through common/native), to keep
 * container network setup under ~30 ms on a loaded host (each avoided spawn saves 3–10 ms,
 * NETWORK.md):
 *   - createNetnsNative: unshare(CLONE_NEWNET) on the main thread, bind-mount
 *     /proc/thread-self/ns/net on the target file, bring `lo` up with SIOCSIFFLAGS, then
 *     setns() back. Everything between unshare and setns is synchronous, so no JavaScript (and
 *     no other socket creation) ever runs in the container's namespace; if switching back fails
 *     the process aborts rather than keep running in the wrong namespace.
 *   - enslaveAndUp: SIOCBRADDIF + SIOCSIFFLAGS(IFF_UP) in the host namespace (no switching).
 *   - umountDetach: umount2(MNT_DETACH), to drop a namespace bind mount.
 * `nativeAvailable()` is false when koffi or libc cannot be loaded; callers fall back to spawns.
 */
import { SystemError } from '../../../common/errors.ts';
import { MNT_DETACH, MS_BIND, type Libc } from '../../../common/native/libc.ts';
import { CLONE_NEWNET, netnsLibc, returnToOwnNetns } from '../../../common/native/netns.ts';

const AF_INET = 2;
const SOCK_DGRAM_CLOEXEC = 2 | 0x80000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const SIOCGIFINDEX = 0x8933;
const SIOCBRADDIF = 0x89a2;
const IFF_UP = 1;

export function nativeAvailable(): boolean {
  return netnsLibc() !== null;
}

function ifreq(name: string): Buffer {
  const buf = Buffer.alloc(40);
  buf.write(name, 0, 15, 'latin1');
  return buf;
}

function fail(what: string, c: Libc): never {
  throw new SystemError(`${what}: errno ${c.errno()}`);
}

function setUp(c: Libc, fd: number, name: string): void {
  const req = ifreq(name);
  if (c.ioctl(fd, SIOCGIFFLAGS, 'void *', req) !== 0) fail(`SIOCGIFFLAGS ${name}`, c);
  req.writeUInt16LE(req.readUInt16LE(16) | IFF_UP, 16);
  if (c.ioctl(fd, SIOCSIFFLAGS, 'void *', req) !== 0) fail(`SIOCSIFFLAGS ${name}`, c);
}

/** New network namespace bound at `nsPath` (an existing empty file), with lo up. */
export function createNetnsNative(nsPath: string): void {
  const c = netnsLibc();
  if (!c) throw new SystemError('koffi unavailable');
  if (c.unshare(CLONE_NEWNET) !== 0) fail('unshare(CLONE_NEWNET)', c);
  let error: unknown;
  try {
    if (c.mount('/proc/thread-self/ns/net', nsPath, null, MS_BIND, null) !== 0) fail(`mount ${nsPath}`, c);
    const fd = c.socket(AF_INET, SOCK_DGRAM_CLOEXEC, 0);
    if (fd < 0) fail('socket', c);
    try {
      setUp(c, fd, 'lo');
    } finally {
      c.close(fd);
    }
  } catch (err) {
    error = err;
  }
  returnToOwnNetns(c);
  if (error) throw error;
}

/** Enslaves host interface `ifname` to `bridge` and sets it up (host namespace). */
export function enslaveAndUp(ifname: string, bridge: string): void {
  const c = netnsLibc();
  if (!c) throw new SystemError('koffi unavailable');
  const fd = c.socket(AF_INET, SOCK_DGRAM_CLOEXEC, 0);
  if (fd < 0) fail('socket', c);
  try {
    const idx = ifreq(ifname);
    if (c.ioctl(fd, SIOCGIFINDEX, 'void *', idx) !== 0) fail(`SIOCGIFINDEX ${ifname}`, c);
    const br = ifreq(bridge);
    br.writeInt32LE(idx.readInt32LE(16), 16);
    if (c.ioctl(fd, SIOCBRADDIF, 'void *', br) !== 0) fail(`SIOCBRADDIF ${bridge} ${ifname}`, c);
    setUp(c, fd, ifname);
  } finally {
    c.close(fd);
  }
}

/** umount2(path, MNT_DETACH); EINVAL (not a mount point) and ENOENT are not errors. */
export function umountDetach(target: string): void {
  const c = netnsLibc();
  if (!c) throw new SystemError('koffi unavailable');
  if (c.umount2(target, MNT_DETACH) !== 0) {
    const e = c.errno();
    if (e !== 22 && e !== 2) throw new SystemError(`umount ${target}: errno ${e}`);
  }
}
