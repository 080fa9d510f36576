/**
 * The one FFI binding to libc (through the npm package `koffi`): every libc call wharf makes
 * that Node lacks is declared here once (mknod, *xattr, mount, umount2, sockets, fcntl, ioctl,
 * unshare, setns, poll). The library is loaded on first use, so processes that never call
 * these do not pay koffi's load time. The wrappers below throw a Node-style error (with `code`,
 * `errno`, `syscall`, `path`) on failure, like the fs module does; callers that need the raw
 * calls (the bridge driver's netns setup, CRI's dial into a pod's netns) take `libc()` or
 * `libcOrNull()`.
 */
import { createRequire } from 'node:module';
import os from 'node:os';

/** The raw libc functions: each returns what the C call returns (-1 and `errno()` on failure). */
export interface Libc {
  errno(): number;
  mknod(path: string, mode: number, dev: bigint): number;
  lsetxattr(path: string, name: string, value: Buffer, size: number, flags: number): number;
  lgetxattr(path: string, name: string, value: Buffer, size: number): number | bigint;
  llistxattr(path: string, list: Buffer, size: number): number | bigint;
  lremovexattr(path: string, name: string): number;
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): number;
  umount2(target: string, flags: number): number;
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  close(fd: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number | bigint;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrlen: number): number | bigint;
  fcntl(fd: number, cmd: number, arg: number): number;
  /** Variadic: pass each extra argument's C type before it (`ioctl(fd, req, 'void *', buf)`). */
  ioctl(fd: number, req: number, ...rest: unknown[]): number;
  unshare(flags: number): number;
  setns(fd: number, nstype: number): number;
  poll(fds: Buffer, nfds: number, timeout: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, len: Buffer): number;
}

let bound: Libc | undefined;
let loadError: unknown;

function bind(): Libc {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  const fn = <T>(decl: string) => lib.func(decl) as unknown as T;
  return {
    errno: () => koffi.errno(),
    mknod: fn('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: fn('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: fn('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
    llistxattr: fn('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)'),
    lremovexattr: fn('int lremovexattr(const char *path, const char *name)'),
    mount: fn('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: fn('int umount2(const char *target, int flags)'),
    socket: fn('int socket(int domain, int type, int protocol)'),
    connect: fn('int connect(int fd, const void *addr, uint32_t len)'),
    close: fn('int close(int fd)'),
    recv: fn('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)'),
    sendto: fn('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)'),
    fcntl: fn('int fcntl(int fd, int cmd, int arg)'),
    ioctl: fn('int ioctl(int fd, unsigned long req, ...)'),
    unshare: fn('int unshare(int flags)'),
    setns: fn('int setns(int fd, int nstype)'),
    poll: fn('int poll(void *fds, unsigned long nfds, int timeout)'),
    getsockopt: fn('int getsockopt(int fd, int level, int name, void *value, void *len)'),
  };
}

/** libc, bound on first use; throws when koffi or libc cannot be loaded. */
export function libc(): Libc {
  if (bound) return bound;
  if (loadError !== undefined) throw loadError;
  try {
    bound = bind();
  } catch (err) {
    loadError = err;
    throw err;
  }
  return bound;
}

/** libc, or null when koffi or libc cannot be loaded (callers that have a fallback). */
export function libcOrNull(): Libc | null {
  try {
    return libc();
  } catch {
    return null;
  }
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
  if (n < 0) throw sysError(syscall, libc().errno(), path);
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
  check(libc().mknod(path, mode, makedev(major, minor)), 'mknod', path);
}

/** lsetxattr(2) (does not follow symlinks). */
export function lsetxattr(path: string, name: string, value: Buffer | string): void {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  check(libc().lsetxattr(path, name, v, v.length, 0), 'lsetxattr', path);
}

/** lgetxattr(2); undefined when the attribute is absent (ENODATA) or unsupported. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const c = libc();
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
  const c = libc();
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
  check(libc().lremovexattr(path, name), 'lremovexattr', path);
}

export const MS_RDONLY = 0x1;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MNT_DETACH = 0x2;

/** mount(2). */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  check(libc().mount(source, target, fstype, flags, data), 'mount', target);
}

/** umount2(2). */
export function umount2(target: string, flags = 0): void {
  check(libc().umount2(target, flags), 'umount2', target);
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
  const c = libc();
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
  libc().close(fd);
}

const MSG_DONTWAIT = 0x40;

/**
 * recv(2) without waiting: the bytes read (one packet on a SEQPACKET socket), 0 at end of
 * stream, or -1 when nothing is queued now (EAGAIN) or on any error.
 */
export function recvNow(fd: number, buf: Buffer): number {
  const c = libc();
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
  const c = libc();
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
  return check(libc().fcntl(fd, F_SETPIPE_SZ, bytes), 'fcntl');
}
