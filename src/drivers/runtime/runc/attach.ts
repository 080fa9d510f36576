/**
 * AttachStream over conmon's SOCK_SEQPACKET attach socket (MONITOR.md §3). Each packet from
 * conmon is `[pipe id][payload]` with 2 = stdout, 3 = stderr; packets we send are raw stdin
 * bytes (cut to conmon's read buffer size, since a SEQPACKET read truncates longer packets).
 * A half-close (shutdown SHUT_WR) is EOF on the container's stdin; output keeps flowing.
 */
import { PassThrough, Writable } from 'node:stream';
import { SeqpacketSocket } from 'node-unix-socket';
import type { AttachStream } from '../contract.ts';

/** conmon reads stdin packets into an 8 KiB buffer (STDIO_BUF_SIZE). */
const MAX_PACKET = 8192;

export function connectAttach(socketPath: string): Promise<AttachStream> {
  return new Promise((resolve, reject) => {
    const sock = new SeqpacketSocket();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let done = false;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => { resolveClosed = r; });
    const finish = () => {
      if (done) return;
      done = true;
      stdout.end();
      stderr.end();
      // conmon closed (or we detached): release the descriptor, or every exec leaks one.
      try { sock.destroy(); } catch { /* destroy of a closed socket: nothing to release */ }
      resolveClosed();
    };
    const stdin = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (done) {
          cb();
          return;
        }
        let off = 0;
        const next = (): void => {
          if (off >= chunk.length) {
            cb();
            return;
          }
          const len = Math.min(MAX_PACKET, chunk.length - off);
          const start = off;
          off += len;
          try {
            sock.write(chunk, start, len, (err?: Error) => (err ? cb() : next()));
          } catch {
            cb();
          }
        };
        next();
      },
      final(cb) {
        try {
          if (!done) sock.end(() => cb());
          else cb();
        } catch {
          cb();
        }
      },
    });
    sock.on('data', (buf: Buffer) => {
      if (buf.length < 1) return;
      const payload = buf.subarray(1);
      if (buf[0] === 3) stderr.write(payload);
      else if (buf[0] === 2) stdout.write(payload);
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (err: Error) => {
      if (!connected) reject(err);
      finish();
    });
    let connected = false;
    try {
      sock.connect(socketPath, () => {
        connected = true;
        resolve({
          stdout,
          stderr,
          stdin,
          closed,
          detach() {
            try {
              sock.destroy();
            } catch { /* destroy of a closed socket: nothing to release */ }
            finish();
          },
        });
      });
    } catch (err) {
      reject(err as Error);
    }
  });
}
