/**
 * How the engine hands a container's output (attach, exec, logs) to whoever reads it: chunks
 * of one stream (stdout, stderr, system error) at a time, never encoded. The HTTP edge
 * (`src/api/routers/containers/output.ts`) turns them into raw bytes (a TTY) or stdcopy frames;
 * the CRI's streaming server writes them to its own stdout/stderr streams.
 */
import type { LineBatch, OutputRun, StdStream } from './stdcopy.ts';

export type { LineBatch, OutputRun } from './stdcopy.ts';

export interface OutputSink {
  /** One chunk of one stream; false when the reader is full: wait for drained() before more. */
  write(stream: StdStream, data: Buffer): boolean;
  /** Resolves once what was written has drained to the reader (at once when nothing waits), or the reader is gone. */
  drained(): Promise<void>;
}

/**
 * Where a log read goes: a batch of runs at a time (each a frame), in one write. The runs'
 * parts are views of the reader's reused buffer, valid only during the call.
 */
export interface LogSink extends OutputSink {
  writeRuns(runs: readonly OutputRun[]): boolean;
  /** A followed read: a frame per line, in one write (see frameLines). */
  writeLines<T>(batch: LineBatch<T>): boolean;
}

/** The client of an attach or an exec (the hijacked connection): output to it, input from it. */
export interface ClientStream extends OutputSink {
  /** Bytes from the client (stdin). Ends on the client's half-close. */
  readonly input: NodeJS.ReadableStream;
  end(): void;
  /** Resolves when the client went away or end() was called. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
}
