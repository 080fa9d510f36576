/**
 * Dials `localhost:port` inside another network namespace (a pod sandbox's), for CRI
 * port-forward, without a helper process: the socket is created in that namespace and used
 * from ours. A socket belongs to the namespace it was created in, so only socket(2) runs
 * there: setns(target) → socket() → setns(back), synchronously on the main thread through
 * libc (common/native). No JavaScript runs between the two setns calls; if returning fails the
 * process aborts rather than go on in the wrong namespace (as the bridge driver's native.ts).
 * The non-blocking connect and the rest happen in our namespace, the fd then becomes a
 * net.Socket. Measured on this host: ~0.1 ms per dial, where spawning `nsenter` with a relay
 * costs several ms per connection and needs a relay binary the host may not have.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Libc } from '../../common/native/libc.ts';
import { CLONE_NEWNET, netnsLibc, returnToOwnNetns } from '../../common/native/netns.ts';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM_NONBLOCK_CLOEXEC = 1 | 0o4000 | 0o2000000;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const POLLOUT = 4;
const EINPROGRESS = 115;
const ECONNREFUSED = 111;
const EADDRNOTAVAIL = 99;
const EAFNOSUPPORT = 97;
const ENETUNREACH = 101;

export class DialError extends Error {
  constructor(message: string, readonly errno: number) { super(message); }
}

const errnoText = (e: number) => (e === ECONNREFUSED ? 'connection refused' : e === 110 ? 'connection timed out' : `errno ${e}`);

/** A new non-blocking TCP socket of `family` created inside the namespace at nsPath. */
function socketIn(c: Libc, nsPath: string, family: number): number {
  const nsFd = fs.openSync(nsPath, 'r');
  try {
    if (c.setns(nsFd, CLONE_NEWNET) !== 0) throw new DialError(`cannot enter network namespace ${nsPath}: errno ${c.errno()}`, c.errno());
    const fd = c.socket(family, SOCK_STREAM_NONBLOCK_CLOEXEC, 0);
    const err = c.errno();
    returnToOwnNetns(c);
    if (fd < 0) throw new DialError(`socket: errno ${err}`, err);
    return fd;
  } finally {
    fs.closeSync(nsFd);
  }
}

function sockaddr(family: number, port: number): Buffer {
  if (family === AF_INET) {
    const a = Buffer.alloc(16);
    a.writeUInt16LE(AF_INET, 0);
    a.writeUInt16BE(port, 2);
    a.set([127, 0, 0, 1], 4);
    return a;
  }
  const a = Buffer.alloc(28);
  a.writeUInt16LE(AF_INET6, 0);
  a.writeUInt16BE(port, 2);
  a[8 + 15] = 1; // ::1
  return a;
}

/** Connects fd (non-blocking) to loopback:port; resolves when connected, rejects with the errno. */
async function connectFd(c: Libc, fd: number, family: number, port: number, timeoutMs: number): Promise<void> {
  const addr = sockaddr(family, port);
  if (c.connect(fd, addr, addr.length) === 0) return;
  const e = c.errno();
  if (e !== EINPROGRESS) throw new DialError(errnoText(e), e);
  const deadline = Date.now() + timeoutMs;
  const pfd = Buffer.alloc(8);
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    pfd.writeInt32LE(fd, 0);
    pfd.writeInt16LE(POLLOUT, 4);
    pfd.writeInt16LE(0, 6);
    if (c.poll(pfd, 1, 0) > 0) {
      const val = Buffer.alloc(4);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(4);
      if (c.getsockopt(fd, SOL_SOCKET, SO_ERROR, val, len) !== 0) throw new DialError(`getsockopt: errno ${c.errno()}`, c.errno());
      const soErr = val.readInt32LE(0);
      if (soErr) throw new DialError(errnoText(soErr), soErr);
      return;
    }
    if (Date.now() > deadline) throw new DialError('connection timed out', 110);
    await new Promise((r) => setTimeout(r, delay));
  }
}

export function netnsDialAvailable(): boolean {
  return netnsLibc() !== null;
}

/**
 * A TCP connection to localhost:port (127.0.0.1, then ::1 when refused there) from inside the
 * network namespace at nsPath.
 */
export async function dialInNetns(nsPath: string, port: number, timeoutMs = 10_000): Promise<net.Socket> {
  const c = netnsLibc();
  if (!c) throw new Error('dialing into a network namespace needs koffi (libc), which could not be loaded');
  let last: unknown;
  for (const family of [AF_INET, AF_INET6]) {
    const fd = socketIn(c, nsPath, family);
    try {
      await connectFd(c, fd, family, port, timeoutMs);
    } catch (err) {
      c.close(fd);
      last = err;
      const no = (err as DialError).errno;
      if (no === ECONNREFUSED || no === EADDRNOTAVAIL || no === EAFNOSUPPORT || no === ENETUNREACH) continue;
      throw err;
    }
    return new net.Socket({ fd, readable: true, writable: true });
  }
  throw last instanceof Error ? last : new Error(String(last));
}
