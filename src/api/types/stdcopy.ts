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
