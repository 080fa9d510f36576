/**
 * Container streams: attach (hijacked connection ⇄ the monitor's attach socket, with detach
 * keys and stdcopy framing when there is no TTY) and logs (the json-file or k8s-file log read
 * back in docker's format, optionally followed).
 */
import fs from 'node:fs';
import { InvalidArgumentError } from '../../common/errors.ts';
import type { AttachStream } from '../../drivers/runtime/contract.ts';
import { frame } from '../../api/types/stdcopy.ts';
import { unixTimeNs, type UnixTime } from '../../api/types/docker-time.ts';
import type { ContainerRegistry, Live } from './service.ts';
import { DetachScanner, parseDetachKeys } from './detach-keys.ts';
import { readK8sLogBatches, type LogEntry } from '../../common/k8s-log.ts';
import { listChain } from '../../common/log-chain.ts';
import { checkReadable } from './log-config.ts';
import { pumpOutput } from './output-pump.ts';

/** The hijacked client connection, as the API server hands it over. */
export interface ClientStream {
  readonly input: NodeJS.ReadableStream;
  write(chunk: Buffer | string): boolean;
  end(): void;
  /** Resolves once what was written has drained to the client (at once when nothing waits), or the client is gone. */
  drained(): Promise<void>;
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
}

export interface AttachOptions { stdin: boolean; stdout: boolean; stderr: boolean; stream: boolean; logs: boolean; detachKeys?: string | null }

export async function attachContainer(reg: ContainerRegistry, ref: string, client: ClientStream, o: AttachOptions): Promise<void> {
  const l = reg.get(ref);
  const keys = parseDetachKeys(o.detachKeys ?? undefined);
  const tty = l.rec.Config.Tty;
  const send = (stream: 1 | 2, data: Buffer) => { if (!client.isClosed) client.write(tty ? data : frame(stream, data)); };
  if (o.logs && l.rec.LogPath && fs.existsSync(l.rec.LogPath)) {
    if (l.rec.State.Running) await reg.deps.runtime.syncLog(l.rec.Id).catch(() => undefined);
    // At the client's pace: a batch at a time (~64 KiB of the log), then wait for it to drain.
    for await (const batch of readK8sLogBatches(l.rec.LogPath)) {
      if (client.isClosed) break;
      for (const e of batch) if (e.stream === 'stderr' ? o.stderr : o.stdout) send(e.stream === 'stderr' ? 2 : 1, e.line);
      await client.drained();
    }
  }
  if (!o.stream) { client.end(); return; }
  let attach: AttachStream | undefined;
  if (l.rec.State.Running && !l.rec.State.Restarting) {
    attach = await reg.deps.runtime.attach(l.rec.Id);
  } else {
    // docker run: attach comes before start; connect when the container is created.
    attach = await new Promise<AttachStream | undefined>((resolve) => {
      let settled = false;
      // A client gone before start leaves no connection behind: nobody would read it, and an
      // unread attach socket holds the container's output.
      l.pendingAttach.push((a) => { if (settled) a?.detach(); else { settled = true; resolve(a); } });
      void client.closed.then(() => { if (!settled) { settled = true; resolve(undefined); } });
    });
    if (!attach || client.isClosed) { attach?.detach(); client.end(); return; }
  }
  await pump(l, attach, client, o, keys);
}

async function pump(l: Live, attach: AttachStream, client: ClientStream, o: AttachOptions, keys: number[]): Promise<void> {
  const tty = l.rec.Config.Tty;
  const out = pumpOutput(attach, client, { stdout: o.stdout, stderr: o.stderr, encode: (s, d) => (tty ? d : frame(s, d)) });
  let detached = false;
  if (o.stdin) {
    const scanner = new DetachScanner(keys);
    client.input.on('data', (chunk: Buffer) => {
      if (detached) return;
      const { forward, detach } = scanner.push(chunk);
      // At the container's pace: a client sending faster than the process reads is paused.
      if (forward.length && !attach.stdin.write(forward)) pauseUntilDrained(client.input, attach.stdin);
      if (detach) { detached = true; attach.detach(); }
    });
    client.input.on('end', () => {
      if (detached) return;
      if (!l.rec.Config.Tty && l.rec.Config.StdinOnce) attach.stdin.end();
      else { detached = true; attach.detach(); }
    });
  }
  void client.closed.then(() => { if (!detached) { detached = true; attach.detach(); } });
  // Every byte read from the monitor reaches the client before the stream closes.
  await out.ended;
  client.end();
}

/** Stops reading `input` until `sink` drained (or closed). */
export function pauseUntilDrained(input: NodeJS.ReadableStream, sink: NodeJS.WritableStream): void {
  input.pause();
  const go = () => { sink.off('drain', go); sink.off('close', go); input.resume(); };
  sink.on('drain', go);
  sink.on('close', go);
}

/** conmon's `2026-11-28T09:21:53.988719328+00:00` → docker's UTC `…53.988719328Z`. */
export function toUtc(t: string): string {
  if (t.endsWith('+00:00')) return t.slice(0, -6) + 'Z';
  if (t.endsWith('Z')) return t;
  const m = /^(.*?)(\.\d+)?([+-]\d\d:\d\d)$/.exec(t);
  if (!m) return t;
  return new Date(m[1]! + m[3]!).toISOString().replace(/\.\d{3}Z$/, `${m[2] ?? ''}Z`);
}

export async function streamLogs(...args: Parameters<typeof streamLogsInner>): Promise<void> {
  try {
    await streamLogsInner(...args);
  } catch (err) {
    if (!(err instanceof ClientGoneError)) throw err;
  }
}

/** Thrown inside streamLogs when its client went away: the read stops there. */
class ClientGoneError extends Error {}

async function streamLogsInner(reg: ContainerRegistry, ref: string, q: { stdout: boolean; stderr: boolean; follow: boolean; tail?: string | null; since?: UnixTime; until?: UnixTime; timestamps: boolean; details: boolean }, out: LogSink, signal: AbortSignal): Promise<void> {
  if (!q.stdout && !q.stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const l = reg.get(ref);
  const tty = l.rec.Config.Tty;
  let tail: number | undefined;
  if (q.tail && q.tail !== 'all') {
    tail = Number(q.tail);
    if (!Number.isInteger(tail) || tail < 0) tail = undefined;
  }
  checkReadable(l.rec.HostConfig.LogConfig);
  const running = reg.live.has(l.rec.Id) && l.rec.State.Running;
  // json-file lines pass through the runtime's log monitor: what the container wrote before this request is read.
  if (running) await reg.deps.runtime.syncLog(l.rec.Id).catch((e: Error) => reg.deps.logger.warn(`log of ${l.rec.Id}: ${e.message}`));
  if (!l.rec.LogPath) return;
  // No LogPath but rotated files: a k8s-file rotation whose reopen conmon never made (it exited
  // first); they are read all the same, and a follower waits for the LogPath to come.
  if (!fs.existsSync(l.rec.LogPath) && !listChain(l.rec.LogPath).length) {
    if (!q.follow || !running) return;
    fs.writeFileSync(l.rec.LogPath, '', { flag: 'a' });
  }
  // Follow ends when the container stops (after the rest of the log is drained).
  const stopWhen = q.follow && running ? new Promise<void>((r) => l.exitWaiters.push(() => r())) : Promise.resolve();
  const window = {
    since: q.since === undefined ? undefined : q.since.sec * 1000 + q.since.nsec / 1e6,
    until: q.until === undefined ? undefined : q.until.sec * 1000 + q.until.nsec / 1e6,
    sinceNs: q.since === undefined ? undefined : unixTimeNs(q.since),
    untilNs: q.until === undefined ? undefined : unixTimeNs(q.until),
  };
  // A finished read sends consecutive lines of one stream as one frame (up to 64 KiB): a
  // client's demultiplexer then writes once per frame instead of once per line, which is
  // what reading a large log costs (100 MB of short lines: ~10 s per-line, ~1 s batched).
  // Followed streams keep docker's frame per line, which streaming clients iterate as lines
  // (the frames of a batch still go out in one write).
  // One batch (~64 KiB of the log) at a time, then wait until the client took it: the file is
  // read only as fast as the client reads. A client gone: reading stops (signal aborted).
  const emitBatch = async (batch: LogEntry[]) => {
    if (signal.aborted) throw new ClientGoneError();
    if (q.follow) writePerLine(batch, q, tty, out);
    else writeBatched(batch, q, tty, out);
    await sinkDrained(out, signal);
  };
  // One reader from the oldest rotated file on, following (when asked) through the rotations
  // the container makes meanwhile: no line between the files already there and the new ones is
  // lost, however late this read gets to them.
  const opts = { follow: q.follow && running, signal, stopWhen, tail, ...window, reuseBuffer: true, rotated: true };
  for await (const batch of readK8sLogBatches(l.rec.LogPath, opts)) await emitBatch(batch);
}

/** Where log frames go: the HTTP response (backpressure through `drain`). */
export interface LogSink {
  write(b: Buffer | string): boolean;
  writableEnded?: boolean;
  writableNeedDrain?: boolean;
  destroyed?: boolean;
  on?(event: 'drain' | 'close', fn: () => void): unknown;
  off?(event: 'drain' | 'close', fn: () => void): unknown;
}

/** Resolves when `out` took what was written (or is gone, or the client went away). */
function sinkDrained(out: LogSink, signal: AbortSignal): Promise<void> {
  if (!out.writableNeedDrain || out.writableEnded || out.destroyed || signal.aborted || !out.on || !out.off) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      out.off!('drain', done);
      out.off!('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.on!('drain', done);
    out.on!('close', done);
    signal.addEventListener('abort', done);
  });
}

const FRAME_MAX = 64 * 1024;

/**
 * Writes `batch` with one frame per line (docker's followed stream), all in one buffer and one
 * write: a write per line cost ~5 small objects per 100-byte line in the response's queue.
 */
function writePerLine(batch: LogEntry[], q: { stdout: boolean; stderr: boolean; timestamps: boolean }, tty: boolean, out: LogSink): void {
  const head = tty ? 0 : 8;
  const stamps: (Buffer | undefined)[] = [];
  let size = 0;
  for (const e of batch) {
    if (e.stream === 'stderr' ? !q.stderr : !q.stdout) { stamps.push(undefined); continue; }
    const ts = q.timestamps ? Buffer.from(toUtc(e.time) + ' ') : undefined;
    stamps.push(ts);
    size += head + (ts?.length ?? 0) + e.line.length;
  }
  if (!size) return;
  // A new buffer: the lines are views of the reader's reused buffer.
  const f = Buffer.allocUnsafe(size);
  let off = 0;
  batch.forEach((e, i) => {
    if (e.stream === 'stderr' ? !q.stderr : !q.stdout) return;
    const ts = stamps[i];
    if (!tty) {
      f[off] = e.stream === 'stderr' ? 2 : 1; f[off + 1] = 0; f[off + 2] = 0; f[off + 3] = 0;
      f.writeUInt32BE((ts?.length ?? 0) + e.line.length, off + 4);
      off += 8;
    }
    if (ts) off += ts.copy(f, off);
    off += e.line.copy(f, off);
  });
  out.write(f);
}

/** Writes `batch` as few frames as possible: one per run of same-stream lines, ≤ 64 KiB each. */
function writeBatched(batch: LogEntry[], q: { stdout: boolean; stderr: boolean; timestamps: boolean }, tty: boolean, out: LogSink): void {
  let parts: Buffer[] = [];
  let size = 0;
  let stream: 1 | 2 = 1;
  // Each frame is a new buffer: the lines are views of the reader's reused buffer.
  const flush = () => {
    if (!parts.length) return;
    if (tty) out.write(Buffer.concat(parts, size));
    else {
      const f = Buffer.allocUnsafe(8 + size);
      f[0] = stream; f[1] = 0; f[2] = 0; f[3] = 0;
      f.writeUInt32BE(size, 4);
      let off = 8;
      for (const p of parts) off += p.copy(f, off);
      out.write(f);
    }
    parts = [];
    size = 0;
  };
  for (const e of batch) {
    if (e.stream === 'stderr' ? !q.stderr : !q.stdout) continue;
    const s = e.stream === 'stderr' ? 2 : 1;
    if (s !== stream || size >= FRAME_MAX) { flush(); stream = s; }
    if (q.timestamps) {
      const ts = Buffer.from(toUtc(e.time) + ' ');
      parts.push(ts);
      size += ts.length;
    }
    parts.push(e.line);
    size += e.line.length;
  }
  flush();
}
