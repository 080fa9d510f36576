/**
 * Tiny FFI bindings to the libc calls Node lacks (mknod, *xattr, mount, umount2), through
 * the npm package `koffi`. The library is loaded on first use, so processes that never call
 * these do not pay koffi's load time. Every wrapper throws a Node-style error (with `code`,
 * `errno`, `syscall`, `path`) on failure, like the fs module does.
 */
import { createRequire } from 'node:module';
import os from 'node:os';

type Fn = (...args: unknown[]) => number | bigint;
interface Libc {
  errno: () => number;
  mknod: Fn;
  lsetxattr: Fn;
  lgetxattr: Fn;
  llistxattr: Fn;
  lremovexattr: Fn;
  mount: Fn;
  umount2: Fn;
  socket: Fn;
  connect: Fn;
  close: Fn;
  recv: Fn;
  sendto: Fn;
  fcntl: Fn;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  libc = {
    errno: () => koffi.errno(),
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Fn,
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as Fn,
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)') as Fn,
    llistxattr: lib.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)') as Fn,
    lremovexattr: lib.func('int lremovexattr(const char *path, const char *name)') as Fn,
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as Fn,
    umount2: lib.func('int umount2(const char *target, int flags)') as Fn,
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    connect: lib.func('int connect(int fd, const void *addr, uint32_t len)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    recv: lib.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)') as Fn,
    sendto: lib.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)') as Fn,
    fcntl: lib.func('int fcntl(int fd, int cmd, int arg)') as Fn,
  };
  return libc;
}

const errnoNames: Record<number, string> = Object.fromEntries(
  Object.entries(os.constants.errno).map(([name, n]) => [n, name]),
);

/** A Node-style system error (`err.code === 'EEXIST'` …) for a failed libc call. */
function sysError(syscall: string, errno: number, path?: string): NodeJS.ErrnoException {
  const code = errnoNames[errno] ?? `E${errno}`;
  const err = new Error(`${code}: ${syscall} failed${path ? `, '${path}'` : ''} (errno ${errno})`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

function check(r: number | bigint, syscall: string, path?: string): number {
  const n = Number(r);
  if (n < 0) throw sysError(syscall, load().errno(), path);
  return n;
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** glibc's makedev(): device number from major/minor. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** Major/minor of a device number as `fs.Stats.rdev` gives it. */
export function splitdev(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

/** mknod(2): `mode` includes the file type bits (S_IFCHR …). Never follows a final symlink. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(load().mknod(path, mode, makedev(major, minor)), 'mknod', path);
}

/** lsetxattr(2) (does not follow symlinks). */
export function lsetxattr(path: string, name: string, value: Buffer | string): void {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  check(load().lsetxattr(path, name, v, v.length, 0), 'lsetxattr', path);
}

/** lgetxattr(2); undefined when the attribute is absent (ENODATA) or unsupported. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const c = load();
  for (let size = 256; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(c.lgetxattr(path, name, buf, size));
    if (n >= 0) return buf.subarray(0, n);
    const e = c.errno();
    if (e === os.constants.errno.ERANGE && size < 1 << 20) continue;
    if (e === os.constants.errno.ENODATA || e === os.constants.errno.ENOTSUP) return undefined;
    throw sysError('lgetxattr', e, path);
  }
}

/** llistxattr(2): attribute names of a path (not following symlinks). */
export function llistxattr(path: string): string[] {
  const c = load();
  for (let size = 1024; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(c.llistxattr(path, buf, size));
    if (n >= 0) return n === 0 ? [] : buf.toString('utf8', 0, n - 1).split('\0');
    const e = c.errno();
    if (e === os.constants.errno.ERANGE && size < 1 << 20) continue;
    if (e === os.constants.errno.ENOTSUP) return [];
    throw sysError('llistxattr', e, path);
  }
}

/** lremovexattr(2). */
export function lremovexattr(path: string, name: string): void {
  check(load().lremovexattr(path, name), 'lremovexattr', path);
}

export const MS_RDONLY = 0x1;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MNT_DETACH = 0x2;

/** mount(2). */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  check(load().mount(source, target, fstype, flags, data), 'mount', target);
}

/** umount2(2). */
export function umount2(target: string, flags = 0): void {
  check(load().umount2(target, flags), 'umount2', target);
}

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

/**
 * A connected, non-blocking SOCK_SEQPACKET unix socket to `path` (Node's net module only
 * connects SOCK_STREAM ones); the caller owns the returned fd. A full listen backlog throws
 * EAGAIN (a non-blocking connect does not wait): the caller may try again.
 */
export function connectSeqpacketFd(path: string): number {
  const c = load();
  const name = Buffer.from(path);
  // sockaddr_un: sa_family_t (2 bytes, host order) + sun_path[108], NUL-terminated.
  if (name.length > 107) throw sysError('connect', os.constants.errno.ENAMETOOLONG, path);
  const addr = Buffer.alloc(2 + name.length + 1);
  if (os.endianness() === 'LE') addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  name.copy(addr, 2);
  const fd = check(c.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket', path);
  for (;;) {
    if (Number(c.connect(fd, addr, addr.length)) === 0) return fd;
    const e = c.errno();
    if (e === os.constants.errno.EINTR) continue;
    c.close(fd);
    throw sysError('connect', e, path);
  }
}

/** close(2) of an fd that no Node handle owns. */
export function closeFd(fd: number): void {
  load().close(fd);
}

const MSG_DONTWAIT = 0x40;

/**
 * recv(2) without waiting: the bytes read (one packet on a SEQPACKET socket), 0 at end of
 * stream, or -1 when nothing is queued now (EAGAIN) or on any error.
 */
export function recvNow(fd: number, buf: Buffer): number {
  const c = load();
  for (;;) {
    const n = Number(c.recv(fd, buf, buf.length, MSG_DONTWAIT));
    if (n >= 0) return n;
    if (c.errno() !== os.constants.errno.EINTR) return -1;
  }
}

const SOCK_DGRAM = 2;
const MSG_NOSIGNAL = 0x4000;

/**
 * Sends one datagram to the unix socket at `path` (Node has no unix datagram sockets); a
 * leading `@` names an abstract socket, as $NOTIFY_SOCKET does. Throws a Node-style error.
 */
export function sendUnixDatagram(path: string, data: Buffer): void {
  const c = load();
  const abstract = path.startsWith('@');
  const name = abstract ? Buffer.concat([Buffer.from([0]), Buffer.from(path.slice(1))]) : Buffer.from(path);
  if (name.length > 107) throw sysError('sendto', os.constants.errno.ENAMETOOLONG, path);
  const addr = Buffer.alloc(2 + name.length + (abstract ? 0 : 1));
  if (os.endianness() === 'LE') addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  name.copy(addr, 2);
  const fd = check(c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'socket', path);
  try {
    for (;;) {
      if (Number(c.sendto(fd, data, data.length, MSG_NOSIGNAL, addr, addr.length)) >= 0) return;
      const e = c.errno();
      if (e !== os.constants.errno.EINTR) throw sysError('sendto', e, path);
    }
  } finally {
    c.close(fd);
  }
}

const F_SETPIPE_SZ = 1031;

/** fcntl(F_SETPIPE_SZ): a pipe's (or open FIFO's) buffer size; returns the size the kernel set. */
export function setPipeSize(fd: number, bytes: number): number {
  return check(load().fcntl(fd, F_SETPIPE_SZ, bytes), 'fcntl');
}
