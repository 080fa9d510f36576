/**
 * The attach/exec pump: connects a runtime attach stream (container attach, exec) to its
 * client, output at the client's pace and input at the container's.
 *
 * When the client's socket is full (write() false) both output streams pause until it drains;
 * their small buffers fill and the runtime stops reading the monitor's socket, so the process
 * is held back (docker's behaviour with a slow client) instead of wharfd buffering. A client
 * that has gone away gets nothing: output is read and dropped (the log file keeps it).
 * Output goes out as (stream, bytes): the client (the HTTP edge) frames it or not.
 */
import type { AttachStream } from '../../drivers/runtime/contract.ts';
import { StdStream } from '../../api/types/stdcopy.ts';
import type { ClientStream } from '../../api/types/output-sink.ts';
import { DetachScanner } from '../../api/types/detach-keys.ts';

export interface OutputPump {
  /** Both output streams ended and everything was handed to the client. */
  readonly ended: Promise<void>;
  /** When output last moved, or now while it waits for the client to drain. */
  lastActivity(): number;
}

export function pumpOutput(a: AttachStream, client: ClientStream, o: { stdout: boolean; stderr: boolean }): OutputPump {
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
  const forward = (s: StdStream) => (d: Buffer) => {
    last = Date.now();
    if (client.isClosed) return;
    if (!client.write(s, d)) wait();
  };
  // A stream nobody asked for is read and dropped (resume), so it never holds the other back.
  if (o.stdout) a.stdout.on('data', forward(StdStream.Stdout)); else a.stdout.resume();
  if (o.stderr) a.stderr.on('data', forward(StdStream.Stderr)); else a.stderr.resume();
  const ended = Promise.all(streams.map((s) => new Promise<void>((r) => {
    if (s.readableEnded || s.destroyed) return r();
    s.once('end', () => r());
    s.once('close', () => r());
  }))).then(() => undefined);
  return { ended, lastActivity: () => (waiting ? Date.now() : last) };
}

export interface AttachPump {
  readonly out: OutputPump;
  /** Detached: the detach keys, the client's end of input (`inputEnd: 'detach'`) or the client gone. */
  detached(): boolean;
  readonly onDetach: Promise<void>;
}

/**
 * Output as pumpOutput; with `stdin`, the client's input goes to the process through the
 * detach-key scanner. The client's end of input closes the process's stdin
 * (`inputEnd: 'close-stdin'`) or detaches (`'detach'`); the client gone detaches.
 */
export function pumpAttach(a: AttachStream, client: ClientStream, o: { stdout: boolean; stderr: boolean; stdin: boolean; keys: number[]; inputEnd: 'close-stdin' | 'detach' }): AttachPump {
  const out = pumpOutput(a, client, o);
  let detached = false;
  let onDetached!: () => void;
  const onDetach = new Promise<void>((r) => { onDetached = r; });
  const detach = () => { if (!detached) { detached = true; a.detach(); onDetached(); } };
  if (o.stdin) {
    const scanner = new DetachScanner(o.keys);
    client.input.on('data', (chunk: Buffer) => {
      if (detached) return;
      const r = scanner.push(chunk);
      // At the container's pace: a client sending faster than the process reads is paused.
      if (r.forward.length && !a.stdin.write(r.forward)) pauseUntilDrained(client.input, a.stdin);
      if (r.detach) detach();
    });
    client.input.on('end', () => {
      if (detached) return;
      if (o.inputEnd === 'close-stdin') a.stdin.end();
      else detach();
    });
  }
  void client.closed.then(detach);
  return { out, detached: () => detached, onDetach };
}

/** Stops reading `input` until `sink` drained (or closed). */
export function pauseUntilDrained(input: NodeJS.ReadableStream, sink: NodeJS.WritableStream): void {
  input.pause();
  const go = () => { sink.off('drain', go); sink.off('close', go); input.resume(); };
  sink.on('drain', go);
  sink.on('close', go);
}
