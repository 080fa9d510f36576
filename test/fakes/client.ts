/**
 * An attach/exec client (ClientStream of src/api/types/output-sink.ts) for unit tests of
 * attach and exec: what the engine hands out is collected per stream; `input` is what the
 * client types.
 */
import { PassThrough } from 'node:stream';
import type { ClientStream } from '../../src/api/types/output-sink.ts';
import type { StdStream } from '../../src/api/types/stdcopy.ts';

export class FakeClient implements ClientStream {
  readonly input = new PassThrough();
  readonly closed: Promise<void>;
  isClosed = false;
  readonly chunks: Array<[StdStream, Buffer]> = [];
  #close!: () => void;
  #ended = false;
  readonly ended: Promise<void>;
  #end!: () => void;

  constructor() {
    this.closed = new Promise((r) => { this.#close = r; });
    this.ended = new Promise((r) => { this.#end = r; });
  }

  write(stream: StdStream, data: Buffer): boolean {
    this.chunks.push([stream, Buffer.from(data)]);
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

  /** Everything written, in order, whatever its stream (what a tty client reads). */
  raw(): string {
    return Buffer.concat(this.chunks.map(([, d]) => d)).toString();
  }

  /** What was written, joined per stream. */
  demux(): { stdout: string; stderr: string } {
    const out = { stdout: '', stderr: '' };
    for (const [s, d] of this.chunks) {
      if (s === 1) out.stdout += d.toString(); else if (s === 2) out.stderr += d.toString();
    }
    return out;
  }
}
