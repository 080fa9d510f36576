/**
 * Client side of attach/exec/logs streams: stdcopy demultiplexing (8-byte frame headers),
 * hijacked connections with stdin forwarding, raw terminal mode, resize on SIGWINCH,
 * detach-key detection, and signal proxying.
 */
import type { Duplex, Readable } from 'node:stream';
import type { Client } from '../client/client.ts';

export type StdStream = 0 | 1 | 2 | 3;

/** Incremental parser for docker's multiplexed stream format. */
export class StdcopyParser {
  #buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the complete frames they finish. */
  push(chunk: Buffer): Array<[StdStream, Buffer]> {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Array<[StdStream, Buffer]> = [];
    while (this.#buf.length >= 8) {
      const kind = this.#buf[0]!;
      if (kind > 3) throw new Error(`Unrecognized input header: ${kind}`);
      const size = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + size) break;
      out.push([kind as StdStream, this.#buf.subarray(8, 8 + size)]);
      this.#buf = this.#buf.subarray(8 + size);
    }
    return out;
  }

  /** Bytes of an unfinished frame left over. */
  get pending(): number {
    return this.#buf.length;
  }
}

/** One frame in stdcopy format (for tests and servers). */
export function stdcopyFrame(stream: StdStream, data: Buffer | string): Buffer {
  const body = Buffer.from(data);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

export interface Sinks { out: NodeJS.WritableStream; err: NodeJS.WritableStream }

/** Copies a multiplexed (or, with `tty`, raw) stream to stdout/stderr until it ends. */
export async function copyOutput(src: AsyncIterable<Buffer | string>, sinks: Sinks, tty: boolean, head?: Buffer): Promise<void> {
  const parser = new StdcopyParser();
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

const KEY_NAMES: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** `ctrl-p,ctrl-q` → bytes, like docker's term.ToBytes. */
export function parseDetachKeys(keys: string): Buffer {
  const out: number[] = [];
  for (const part of keys.split(',')) {
    const k = part.trim();
    if (k.length > 1 && !k.startsWith('ctrl-')) throw new Error(`Unknown character: '${k}'`);
    if (k.length === 1) { out.push(k.charCodeAt(0)); continue; }
    const c = k.slice(5);
    if (c.length !== 1) throw new Error(`Unknown character: '${k}'`);
    if (/[a-z]/.test(c)) out.push(c.charCodeAt(0) - 96);
    else if (c in KEY_NAMES) out.push(KEY_NAMES[c]!);
    else throw new Error(`Unknown character: '${k}'`);
  }
  return Buffer.from(out);
}

/** Watches typed bytes for the detach sequence; returns [bytes to forward, detached]. */
export class EscapeDetector {
  #matched = 0;
  constructor(private readonly keys: Buffer) {}
  feed(chunk: Buffer): [Buffer, boolean] {
    if (!this.keys.length) return [chunk, false];
    const forward: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.keys.length) return [Buffer.from(forward), true];
        continue;
      }
      // Not the sequence: flush what was held back.
      for (let i = 0; i < this.#matched; i++) forward.push(this.keys[i]!);
      this.#matched = 0;
      if (b === this.keys[0]) { this.#matched = 1; continue; }
      forward.push(b);
    }
    return [Buffer.from(forward), false];
  }
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
    const det = new EscapeDetector(parseDetachKeys(opts.detachKeys || 'ctrl-p,ctrl-q'));
    onData = (c: Buffer) => {
      const [fwd, hit] = det.feed(c);
      if (fwd.length) socket.write(fwd);
      if (hit) { detached = true; resolveDetach(); }
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
