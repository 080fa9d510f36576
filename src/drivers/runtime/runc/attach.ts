/**
 * AttachStream over conmon's SOCK_SEQPACKET attach socket (MONITOR.md §3). Each packet from
 * conmon is `[pipe id][payload]` with 2 = stdout, 3 = stderr; packets we send are raw stdin
 * bytes (cut to conmon's read buffer size, since a SEQPACKET read truncates longer packets).
 * A half-close (shutdown SHUT_WR) is EOF on the container's stdin; output keeps flowing.
 *
 * Backpressure: stdout/stderr are streams with a small buffer; when the one a packet goes to
 * is full, reading the socket pauses until it drains. conmon writes to attach sockets with a
 * blocking write after it wrote the log file, so a reader that does not keep up holds conmon,
 * which stops reading the container's pipe, which blocks the container's writes — docker's
 * behaviour with a slow attach client. Memory stays bounded either way.
 */
import { PassThrough, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type { AttachStream } from '../contract.ts';
import { connectSeqpacket } from './seqpacket.ts';

/** conmon reads stdin packets into an 8 KiB buffer (STDIO_BUF_SIZE). */
const MAX_PACKET = 8192;
/** Output buffered per stream before the socket's reading pauses. */
const OUT_BUFFER = 64 * 1024;

export async function connectAttach(socketPath: string): Promise<AttachStream> {
  const conn = await connectSeqpacket(socketPath);
  const sock: Socket = conn.socket;
  const stdout = new PassThrough({ highWaterMark: OUT_BUFFER });
  const stderr = new PassThrough({ highWaterMark: OUT_BUFFER });
  let done = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => { resolveClosed = r; });
  const finish = () => {
    if (done) return;
    done = true;
    stdout.end();
    stderr.end();
    resolveClosed();
  };
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (done || sock.destroyed) {
        cb();
        return;
      }
      // One packet at a time: a second write in flight could be gathered into the same packet.
      let off = 0;
      const next = (err?: Error | null): void => {
        if (err || off >= chunk.length || sock.destroyed) {
          cb();
          return;
        }
        const len = Math.min(MAX_PACKET, chunk.length - off);
        const part = chunk.subarray(off, off + len);
        off += len;
        sock.write(part, next);
      };
      next();
    },
    final(cb) {
      if (done || sock.destroyed) cb();
      else sock.end(() => cb());
    },
  });
  /** Hands a packet to its stream; false when that stream's buffer is full. */
  const deliver = (buf: Buffer): PassThrough | undefined => {
    if (buf.length < 1 || done) return undefined;
    const out = buf[0] === 3 ? stderr : buf[0] === 2 ? stdout : undefined;
    return out && !out.write(buf.subarray(1)) ? out : undefined;
  };
  sock.on('data', (buf: Buffer) => {
    const full = deliver(buf);
    if (full) {
      sock.pause();
      full.once('drain', () => sock.resume());
    }
  });
  // conmon closed the connection (the process exited). Packets still queued when it did are
  // read here (see seqpacket.ts): they are the last output.
  sock.on('end', () => {
    for (const p of conn.rest()) deliver(p);
    finish();
    sock.end();
  });
  sock.on('close', finish);
  sock.on('error', finish);
  return {
    stdout,
    stderr,
    stdin,
    closed,
    detach() {
      sock.destroy();
      finish();
    },
  };
}
