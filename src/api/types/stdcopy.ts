/**
 * Docker's multiplexed stream framing for non-TTY attach, exec and logs
 * (moby pkg/stdcopy): an 8-byte header [stream, 0, 0, 0, size uint32 BE] then the payload.
 * Stream 0 = stdin, 1 = stdout, 2 = stderr, 3 = system error.
 * The one framer (the HTTP edge's, `src/api/routers/containers/output.ts`) and the one
 * demultiplexer (the CLI's); the engine hands out (stream, bytes) and never frames.
 */
export const enum StdStream { Stdin = 0, Stdout = 1, Stderr = 2, Systemerr = 3 }

/** A piece of one stream's output sent as one frame: `parts` joined. */
export interface OutputRun { readonly stream: StdStream; readonly parts: readonly Buffer[] }

export function frame(stream: StdStream, payload: Buffer): Buffer {
  return frameRuns([{ stream, parts: [payload] }], false);
}

/**
 * Several runs in one new buffer (one write to the client): a frame each, or with `raw` (a
 * TTY's stream) their bytes only. The parts are copied: callers may hand views of a buffer
 * they reuse.
 */
export function frameRuns(runs: readonly OutputRun[], raw: boolean): Buffer {
  const head = raw ? 0 : 8;
  let size = 0;
  for (const r of runs) {
    size += head;
    for (const p of r.parts) size += p.length;
  }
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const r of runs) {
    const at = off;
    off += head;
    for (const p of r.parts) off += p.copy(out, off);
    if (raw) continue;
    out[at] = r.stream; out[at + 1] = 0; out[at + 2] = 0; out[at + 3] = 0;
    out.writeUInt32BE(off - at - 8, at + 4);
  }
  return out;
}

/** A batch of lines read from a log, framed one frame per line without an object per line. */
export interface LineBatch<T> {
  readonly items: readonly T[];
  /** The line's stream, or undefined to leave it out. */
  streamOf(item: T): StdStream | undefined;
  lineOf(item: T): Buffer;
  /** Bytes put before the line in its frame (a timestamp), if any. */
  prefixOf?(item: T): Buffer;
}

/**
 * One frame per line (a followed log, as docker sends it) in one new buffer, or with `raw` the
 * lines' bytes only. Two passes over the items and nothing allocated per line (but prefixes):
 * at ~1 million lines a minute, an object or two per line held while a slow client drains
 * promoted them and grew the daemon by ~40 MB per 50 MB followed (slow-client test (c)).
 */
export function frameLines<T>(b: LineBatch<T>, raw: boolean): Buffer {
  const head = raw ? 0 : 8;
  const prefixes = b.prefixOf ? new Array<Buffer | undefined>(b.items.length) : undefined;
  let size = 0;
  for (let i = 0; i < b.items.length; i++) {
    const it = b.items[i]!;
    if (b.streamOf(it) === undefined) continue;
    const p = prefixes ? (prefixes[i] = b.prefixOf!(it)) : undefined;
    size += head + (p?.length ?? 0) + b.lineOf(it).length;
  }
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (let i = 0; i < b.items.length; i++) {
    const it = b.items[i]!;
    const stream = b.streamOf(it);
    if (stream === undefined) continue;
    const at = off;
    off += head;
    const p = prefixes?.[i];
    if (p) off += p.copy(out, off);
    off += b.lineOf(it).copy(out, off);
    if (raw) continue;
    out[at] = stream; out[at + 1] = 0; out[at + 2] = 0; out[at + 3] = 0;
    out.writeUInt32BE(off - at - 8, at + 4);
  }
  return out;
}

/** Incremental demultiplexer: feed chunks, get the complete frames they finish. */
export class StdDemuxer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<[StdStream, Buffer]> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Array<[StdStream, Buffer]> = [];
    while (this.buf.length >= 8) {
      const kind = this.buf[0]!;
      if (kind > 3) throw new Error(`Unrecognized input header: ${kind}`);
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      out.push([kind as StdStream, this.buf.subarray(8, 8 + size)]);
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  /** Bytes of an unfinished frame left over. */
  get pending(): number {
    return this.buf.length;
  }
}
