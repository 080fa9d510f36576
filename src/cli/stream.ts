/**
 * Client side of attach/exec/logs streams: stdcopy demultiplexing (api/types/stdcopy.ts),
 * hijacked connections with stdin forwarding, raw terminal mode, resize on SIGWINCH,
 * detach-key detection (api/types/detach-keys.ts), and signal proxying.
 */
import type { Duplex, Readable } from 'node:stream';
import type { Client } from '../client/client.ts';
import { StdDemuxer } from '../api/types/stdcopy.ts';
import { DetachScanner, parseDetachKeys } from '../api/types/detach-keys.ts';

export interface Sinks { out: NodeJS.WritableStream; err: NodeJS.WritableStream }

/** Copies a multiplexed (or, with `tty`, raw) stream to stdout/stderr until it ends. */
export async function copyOutput(src: AsyncIterable<Buffer | string>, sinks: Sinks, tty: boolean, head?: Buffer): Promise<void> {
  const parser = new StdDemuxer();
  const handle = async (c: Buffer): Promise<void> => {
    if (tty) { await write(sinks.out, c); return; }
    for (const [kind, data] of parser.push(c)) {
      if (kind === 3) throw new Error(data.toString('utf8'));
      await write(kind === 2 ? sinks.err : sinks.out, data);
    }
  };
  if (head?.length) await handle(head);
  for await (const c of src) await handle(Buffer.isBuffer(c) ? c : Buffer.from(c));
}

function write(w: NodeJS.WritableStream, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (w.write(data)) resolve();
    else w.once('drain', resolve);
  });
}

export interface AttachIO {
  stdin?: NodeJS.ReadStream;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** Runs the hijacked session: stdin → socket, socket → out/err. Resolves 'detached' or 'ended'. */
export async function pumpHijacked(socket: Duplex, head: Buffer, io: AttachIO, opts: { tty: boolean; stdin: boolean; detachKeys?: string }): Promise<'detached' | 'ended'> {
  const stdin = opts.stdin ? io.stdin : undefined;
  const restore = stdin && opts.tty ? setRaw(stdin) : undefined;
  let detached = false;
  let onData: ((c: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  const detach = new Promise<void>((resolveDetach) => {
    if (!stdin) return;
    const det = new DetachScanner(parseDetachKeys(opts.detachKeys || undefined));
    onData = (c: Buffer) => {
      const r = det.push(c);
      if (r.forward.length) socket.write(r.forward);
      if (r.detach) { detached = true; resolveDetach(); }
    };
    onEnd = () => { (socket as Duplex & { end: () => void }).end(); };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  });
  try {
    const output = copyOutput(socket as Readable, io, opts.tty, head).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
    });
    await Promise.race([output, detach]);
    if (detached) { socket.destroy(); return 'detached'; }
    return 'ended';
  } finally {
    if (stdin) {
      if (onData) stdin.off('data', onData);
      if (onEnd) stdin.off('end', onEnd);
      stdin.pause();
    }
    restore?.();
  }
}

/** Puts a TTY into raw mode; returns the restore function. */
export function setRaw(stdin: NodeJS.ReadStream): (() => void) | undefined {
  if (!stdin.isTTY) return undefined;
  stdin.setRawMode(true);
  return () => { try { stdin.setRawMode(false); } catch { /* closed */ } };
}

/** Sends the terminal size now and on every SIGWINCH; returns the stop function. */
export function monitorTtySize(out: NodeJS.WriteStream, resize: (h: number, w: number) => Promise<unknown>): () => void {
  if (!out.isTTY) return () => {};
  // A resize racing the container's exit fails harmlessly (docker's CLI ignores it too).
  const send = () => { void resize(out.rows, out.columns).catch(() => {}); };
  send();
  out.on('resize', send);
  return () => out.off('resize', send);
}

const PROXIED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Forwards signals the CLI receives to the container (`--sig-proxy`); returns the stop function. */
export function proxySignals(client: Client, id: string): () => void {
  const handlers = PROXIED.map((sig) => {
    // As docker's CLI: a signal to a container that just exited is not an error of the run.
    const h = () => { void client.json(`/containers/${id}/kill`, { method: 'POST', query: { signal: sig } }).catch(() => {}); };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => { for (const [sig, h] of handlers) process.off(sig, h); };
}

/** A closed stdout pipe (`wharf save | head`) ends the copy quietly, like docker. */
export function ignoreEpipe(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
}
