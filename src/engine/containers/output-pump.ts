/**
 * Moves an attach stream's output (container attach, exec) to a client at the client's pace.
 *
 * When the client's socket is full (write() false) both output streams pause until it drains;
 * their small buffers fill and the runtime stops reading the monitor's socket, so the process
 * is held back (docker's behaviour with a slow client) instead of wharfd buffering. A client
 * that has gone away gets nothing: output is read and dropped (the log file keeps it).
 */
import type { AttachStream } from '../../drivers/runtime/contract.ts';
import type { ClientStream } from './io.ts';

export interface OutputPump {
  /** Both output streams ended and everything was handed to the client. */
  readonly ended: Promise<void>;
  /** When output last moved, or now while it waits for the client to drain. */
  lastActivity(): number;
}

export function pumpOutput(a: AttachStream, client: ClientStream, o: { stdout: boolean; stderr: boolean; encode: (s: 1 | 2, d: Buffer) => Buffer | string }): OutputPump {
  let last = Date.now();
  let waiting = false;
  const streams = [a.stdout, a.stderr];
  const wait = () => {
    if (waiting) return;
    waiting = true;
    for (const s of streams) s.pause();
    void client.drained().then(() => {
      waiting = false;
      last = Date.now();
      for (const s of streams) s.resume();
    });
  };
  const forward = (s: 1 | 2) => (d: Buffer) => {
    last = Date.now();
    if (client.isClosed) return;
    if (!client.write(o.encode(s, d))) wait();
  };
  // A stream nobody asked for is read and dropped (resume), so it never holds the other back.
  if (o.stdout) a.stdout.on('data', forward(1)); else a.stdout.resume();
  if (o.stderr) a.stderr.on('data', forward(2)); else a.stderr.resume();
  const ended = Promise.all(streams.map((s) => new Promise<void>((r) => {
    if (s.readableEnded || s.destroyed) return r();
    s.once('end', () => r());
    s.once('close', () => r());
  }))).then(() => undefined);
  return { ended, lastActivity: () => (waiting ? Date.now() : last) };
}
