/**
 * A hijacked API connection (ClientStream of src/engine/containers/io.ts) for unit tests of
 * attach and exec: what the engine writes is collected and, for non-tty streams, split back
 * into stdout/stderr from docker's stdcopy frames; `input` is what the client types.
 */
import { PassThrough } from 'node:stream';
import type { ClientStream } from '../../src/engine/containers/io.ts';

export class FakeClient implements ClientStream {
  readonly input = new PassThrough();
  readonly closed: Promise<void>;
  isClosed = false;
  readonly chunks: Buffer[] = [];
  #close!: () => void;
  #ended = false;
  readonly ended: Promise<void>;
  #end!: () => void;

  constructor() {
    this.closed = new Promise((r) => { this.#close = r; });
    this.ended = new Promise((r) => { this.#end = r; });
  }

  write(chunk: Buffer | string): boolean {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#end();
  }

  async drained(): Promise<void> {}

  /** The client hangs up. */
  hangUp(): void {
    this.isClosed = true;
    this.#close();
  }

  /** Everything written, raw (a tty stream). */
  raw(): string {
    return Buffer.concat(this.chunks).toString();
  }

  /** The stdcopy frames, joined per stream. */
  demux(): { stdout: string; stderr: string } {
    const all = Buffer.concat(this.chunks);
    const out = { stdout: '', stderr: '' };
    for (let i = 0; i + 8 <= all.length;) {
      const len = all.readUInt32BE(i + 4);
      const body = all.subarray(i + 8, i + 8 + len).toString();
      if (all[i] === 1) out.stdout += body; else if (all[i] === 2) out.stderr += body;
      i += 8 + len;
    }
    return out;
  }
}
