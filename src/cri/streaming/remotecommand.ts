/**
 * kubelet's remotecommand protocol (exec and attach), server side: collect the streams the
 * client opens (`streamType` error, stdin, stdout, stderr, resize), run the command through
 * the StreamRuntime, then end the output streams, report the status on the error stream and
 * close the session. The transport (SPDY here, WebSocket in websocket.ts) only supplies the
 * channels.
 */
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import type { StreamIO, StreamRuntime } from './contract.ts';
import { terminalSizes } from './resize.ts';
import { SpdySession, type SpdyStream } from './spdy/session.ts';
import { encodeStatus, internalError, nonZeroExit, success, type Status } from './status.ts';

/** Subprotocols for exec/attach over SPDY, most preferred first (kubelet's list). */
export const REMOTECOMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/** How long the client has to open its streams after the upgrade (kubelet: 30 s). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface StreamOptions { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

export type RemoteCommand =
  | { kind: 'exec'; containerId: string; cmd: string[] } & StreamOptions
  | { kind: 'attach'; containerId: string } & StreamOptions;

/** One session's channels, whatever the transport. */
export interface Channels {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: Readable;
  /** Writes the final status (protocol's encoding) and ends the error channel. */
  writeStatus(s: Status): Promise<void>;
  /** Ends the session once everything written went out. */
  close(): void;
  /** Resolves when the client went away (or the session closed). */
  readonly closed: Promise<void>;
}

/** Runs an exec or attach over established channels; resolves once the session is closed. */
export async function runRemoteCommand(runtime: StreamRuntime, req: RemoteCommand, ch: Channels): Promise<void> {
  const ac = new AbortController();
  void ch.closed.then(() => ac.abort());
  const io: StreamIO = { tty: req.tty, stdin: ch.stdin, stdout: ch.stdout, stderr: ch.stderr, signal: ac.signal };
  if (ch.resize) io.resize = terminalSizes(ch.resize);
  let status: Status;
  try {
    if (req.kind === 'exec') {
      const code = await runtime.exec(req.containerId, req.cmd, io);
      status = code === 0 ? success() : nonZeroExit(code);
    } else {
      await runtime.attach(req.containerId, io);
      status = success();
    }
  } catch (err) {
    const what = req.kind === 'exec' ? 'error executing command in container' : 'error attaching to container';
    status = internalError(`${what}: ${(err as Error).message ?? String(err)}`);
  }
  // Output first, all of it, then the status, then the session ends.
  await Promise.all([endAndWait(ch.stdout), endAndWait(ch.stderr)]);
  await ch.writeStatus(status);
  ch.close();
  ch.stdin?.resume(); // nobody reads it any more
}

async function endAndWait(w: Writable | undefined): Promise<void> {
  if (!w) return;
  if (!w.writableEnded) w.end();
  await finished(w, { readable: false }).catch(() => {});
}

/** Number of streams the client opens for these options (kubelet's count). */
function expectedStreams(o: StreamOptions, protocol: string): number {
  const resize = o.tty && (protocol === 'v4.channel.k8s.io' || protocol === 'v3.channel.k8s.io');
  return 1 + Number(o.stdin) + Number(o.stdout) + Number(o.stderr && !o.tty) + Number(resize);
}

/**
 * Takes over an upgraded connection as a SPDY server and waits for the client's streams.
 * Rejects (and drops the connection) when they do not all come within the timeout.
 */
export function acceptSpdyRemoteCommand(socket: Duplex, head: Buffer, protocol: string, o: StreamOptions, timeoutMs = STREAM_CREATION_TIMEOUT_MS): Promise<Channels> {
  return new Promise((resolve, reject) => {
    const want = expectedStreams(o, protocol);
    const got: Partial<Record<'error' | 'stdin' | 'stdout' | 'stderr' | 'resize', SpdyStream>> = {};
    let count = 0;
    let settled = false;
    const session = new SpdySession(socket, 'server', {
      onStream: (s) => {
        session.reply(s);
        const type = s.header('streamtype');
        if (settled || (type !== 'error' && type !== 'stdin' && type !== 'stdout' && type !== 'stderr' && type !== 'resize') || got[type]) {
          // Not one kubelet knows (or a second of a kind): accepted, then ignored.
          s.resume();
          return;
        }
        got[type] = s;
        // Streams the server only writes to: drop whatever the client sends on them.
        if (type === 'error' || type === 'stdout' || type === 'stderr') s.resume();
        if (++count === want) done();
      },
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      session.destroy();
      reject(new Error('timed out waiting for client to create streams'));
    }, timeoutMs);
    timer.unref();
    void session.closed.then(() => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error('connection closed before the client created its streams'));
    });
    const done = () => {
      settled = true;
      clearTimeout(timer);
      const error = got.error;
      resolve({
        stdin: got.stdin,
        stdout: got.stdout,
        stderr: o.tty ? undefined : got.stderr,
        resize: got.resize,
        writeStatus: async (s) => {
          if (!error) return;
          const bytes = encodeStatus(protocol, s);
          if (bytes.length) error.write(bytes);
          error.end();
          await finished(error, { readable: false }).catch(() => {});
        },
        close: () => session.close(),
        closed: session.closed,
      });
    };
    session.receive(head);
  });
}
