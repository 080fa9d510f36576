/**
 * The few kernel calls the bridge driver makes in-process through koffi (libc), to keep
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
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { SystemError } from '../../../common/errors.ts';

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 4096;
const AF_INET = 2;
const SOCK_DGRAM_CLOEXEC = 2 | 0x80000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const SIOCGIFINDEX = 0x8933;
const SIOCBRADDIF = 0x89a2;
const IFF_UP = 1;

interface Libc {
  socket(domain: number, type: number, proto: number): number;
  ioctl(fd: number, req: number, ...rest: unknown[]): number;
  close(fd: number): number;
  unshare(flags: number): number;
  setns(fd: number, nstype: number): number;
  mount(src: string, target: string, type: string | null, flags: number, data: null): number;
  umount2(target: string, flags: number): number;
  errno(): number;
}

let libc: Libc | null | undefined;
let hostNetFd = -1;

function load(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const koffi = createRequire(import.meta.url)('koffi');
    const lib = koffi.load('libc.so.6');
    libc = {
      socket: lib.func('int socket(int, int, int)'),
      ioctl: lib.func('int ioctl(int, unsigned long, ...)'),
      close: lib.func('int close(int)'),
      unshare: lib.func('int unshare(int)'),
      setns: lib.func('int setns(int, int)'),
      mount: lib.func('int mount(const char *, const char *, const char *, unsigned long, const void *)'),
      umount2: lib.func('int umount2(const char *, int)'),
      errno: () => koffi.errno(),
    };
    hostNetFd = fs.openSync('/proc/thread-self/ns/net', 'r');
  } catch {
    libc = null;
  }
  return libc;
}

export function nativeAvailable(): boolean {
  return load() !== null;
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
  const c = load();
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
  if (c.setns(hostNetFd, CLONE_NEWNET) !== 0) {
    process.stderr.write(`fatal: cannot return to the host network namespace (errno ${c.errno()})\n`);
    process.abort();
  }
  if (error) throw error;
}

/** Enslaves host interface `ifname` to `bridge` and sets it up (host namespace). */
export function enslaveAndUp(ifname: string, bridge: string): void {
  const c = load();
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
  const c = load();
  if (!c) throw new SystemError('koffi unavailable');
  if (c.umount2(target, 2) !== 0) {
    const e = c.errno();
    if (e !== 22 && e !== 2) throw new SystemError(`umount ${target}: errno ${e}`);
  }
}
