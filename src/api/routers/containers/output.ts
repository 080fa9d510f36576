/**
 * The HTTP edge of container output: the engine hands (stream, bytes) to an OutputSink; here
 * they become the bytes docker's clients read. A TTY's stream is raw; otherwise each chunk is
 * a stdcopy frame (`application/vnd.docker.multiplexed-stream`).
 */
import type { ServerResponse } from 'node:http';
import type { HijackedStream } from '../../server/context.ts';
import { drained } from '../../server/drained.ts';
import { frame, frameLines, frameRuns, type LineBatch, type OutputRun, type StdStream } from '../../types/stdcopy.ts';
import type { ClientStream, LogSink } from '../../types/output-sink.ts';

export function streamContentType(tty: boolean): string {
  return tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
}

/** A hijacked attach/exec connection as the engine's client. */
export function hijackedClient(h: HijackedStream, tty: boolean): ClientStream {
  return {
    input: h.input,
    write: (stream: StdStream, data: Buffer) => h.write(tty ? data : frame(stream, data)),
    end: () => h.end(),
    drained: () => h.drained(),
    get closed() { return h.closed; },
    get isClosed() { return h.isClosed; },
  };
}

/** A streamed logs answer as the engine's log sink (back-pressure through `drain`). */
export function responseLogSink(res: ServerResponse, tty: boolean): LogSink {
  return {
    write: (stream: StdStream, data: Buffer) => res.write(tty ? data : frame(stream, data)),
    writeRuns: (runs: readonly OutputRun[]) => {
      const b = frameRuns(runs, tty);
      return b.length ? res.write(b) : true;
    },
    writeLines: <T>(lines: LineBatch<T>) => {
      const b = frameLines(lines, tty);
      return b.length ? res.write(b) : true;
    },
    drained: () => drained(res),
  };
}
