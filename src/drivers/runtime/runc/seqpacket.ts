/**
 * A SOCK_SEQPACKET unix socket connection as a `net.Socket`, so that reading it can be paused.
 *
 * node-unix-socket's SeqpacketSocket reads whenever the socket is readable and has no way to
 * stop (its native wrap starts the read watcher and never stops it), so a slow consumer made
 * the daemon buffer without limit. Here the fd is connected through libc and handed to a libuv
 * pipe handle: libuv reads it with read(2), which returns one packet per call, so each 'data'
 * chunk is one whole packet (libuv's 64 KiB read buffer is larger than conmon's packets), and
 * pausing the stream stops the read watcher (readStop) once its small buffer is full — the
 * kernel's socket buffer then fills and the peer's write blocks.
 *
 * Writes must be one packet each: a caller keeps at most one write in flight (waits for its
 * callback), otherwise Node may gather queued writes into one writev(2), i.e. one packet.
 *
 * End of stream: libuv takes POLLHUP after a read shorter than its buffer as the end (right
 * for byte streams, where such a read emptied the socket); with packets every read is shorter,
 * so when the peer closes while packets are still queued, 'end' comes early. `rest()` reads
 * what is left (call it on 'end', before anything closes the socket).
 */
import net from 'node:net';
import { closeFd, connectSeqpacketFd, recvNow } from '../../../common/native/libc.ts';

interface PipeHandle { open(fd: number): number }
interface PipeWrap { Pipe: new (type: number) => PipeHandle; constants: { SOCKET: number } }

let pipeWrap: PipeWrap | undefined;

/** Node's own pipe handle class (the one net.Socket uses for unix sockets). */
function pipes(): PipeWrap {
  // process.binding('pipe_wrap') is on Node's allow list; only --pending-deprecation warns.
  pipeWrap ??= (process as unknown as { binding(name: string): PipeWrap }).binding('pipe_wrap');
  return pipeWrap;
}

export interface SeqpacketConnection {
  socket: net.Socket;
  /** The packets still queued after an early 'end' (see above), in order. */
  rest(): Buffer[];
}

/** Connects to a SOCK_SEQPACKET server at `path`; retries a full backlog for a moment. */
export async function connectSeqpacket(path: string): Promise<SeqpacketConnection> {
  let fd: number | undefined;
  for (let tries = 0; fd === undefined; tries++) {
    try {
      fd = connectSeqpacketFd(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || tries >= 100) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const { Pipe, constants } = pipes();
  const handle = new Pipe(constants.SOCKET);
  const rc = handle.open(fd);
  if (rc !== 0) {
    closeFd(fd);
    throw new Error(`cannot open the socket of ${path} (uv error ${rc})`);
  }
  const socket = new net.Socket({ handle, readable: true, writable: true, allowHalfOpen: true } as net.SocketConstructorOpts);
  const sockFd = fd;
  return {
    socket,
    rest() {
      if (socket.destroyed) return [];
      // Bounded by the socket's receive queue (the peer is gone: nothing more comes in).
      const out: Buffer[] = [];
      const buf = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const n = recvNow(sockFd, buf);
        if (n <= 0) return out;
        out.push(Buffer.from(buf.subarray(0, n)));
      }
    },
  };
}
