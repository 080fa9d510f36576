/**
 * Docker's multiplexed stream framing for non-TTY attach, exec and logs
 * (moby pkg/stdcopy): an 8-byte header [stream, 0, 0, 0, size uint32 BE] then the payload.
 * Stream 0 = stdin, 1 = stdout, 2 = stderr, 3 = system error.
 */
export const enum StdStream { Stdin = 0, Stdout = 1, Stderr = 2, Systemerr = 3 }

export function frame(stream: StdStream, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + payload.length);
  out[0] = stream; out[1] = 0; out[2] = 0; out[3] = 0;
  out.writeUInt32BE(payload.length, 4);
  payload.copy(out, 8);
  return out;
}

/** Incremental demultiplexer: feed chunks, get (stream, payload) callbacks. */
export class StdDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      this.onFrame(this.buf[0]!, this.buf.subarray(8, 8 + size));
      this.buf = this.buf.subarray(8 + size);
    }
  }
}
