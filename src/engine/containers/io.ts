/**
 * Container streams: attach (the client ⇄ the monitor's attach socket, with detach keys) and
 * logs (the json-file or k8s-file log read back, optionally followed). Output is handed out as
 * (stream, bytes) through an OutputSink: raw or stdcopy framing is the HTTP edge's business.
 */
import fs from 'node:fs';
import { InvalidArgumentError } from '../../common/errors.ts';
import type { AttachStream } from '../../drivers/runtime/contract.ts';
import { StdStream, type OutputRun } from '../../api/types/stdcopy.ts';
import type { ClientStream, LineBatch, LogSink } from '../../api/types/output-sink.ts';
import { unixTimeNs, type UnixTime } from '../../api/types/docker-time.ts';
import type { ContainerRegistry } from './service.ts';
import { parseDetachKeys } from '../../api/types/detach-keys.ts';
import { readK8sLogBatches, type LogEntry } from '../../common/k8s-log.ts';
import { listChain } from '../../common/log-chain.ts';
import { checkReadable } from './log-config.ts';
import { pumpAttach } from './output-pump.ts';

export type { ClientStream, LogSink } from '../../api/types/output-sink.ts';

export interface AttachOptions { stdin: boolean; stdout: boolean; stderr: boolean; stream: boolean; logs: boolean; detachKeys?: string | null }

export async function attachContainer(reg: ContainerRegistry, ref: string, client: ClientStream, o: AttachOptions): Promise<void> {
  const l = reg.get(ref);
  const keys = parseDetachKeys(o.detachKeys ?? undefined);
  const send = (stream: StdStream, data: Buffer) => { if (!client.isClosed) client.write(stream, data); };
  if (o.logs && l.rec.LogPath && fs.existsSync(l.rec.LogPath)) {
    if (l.rec.State.Running) await reg.deps.runtime.syncLog(l.rec.Id).catch(() => undefined);
    // At the client's pace: a batch at a time (~64 KiB of the log), then wait for it to drain.
    for await (const batch of readK8sLogBatches(l.rec.LogPath)) {
      if (client.isClosed) break;
      for (const e of batch) if (e.stream === 'stderr' ? o.stderr : o.stdout) send(e.stream === 'stderr' ? StdStream.Stderr : StdStream.Stdout, e.line);
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
  // The client's end of input closes the process's stdin when it runs with `StdinOnce`
  // (`docker run -i` without a TTY), and detaches otherwise.
  const inputEnd = !l.rec.Config.Tty && l.rec.Config.StdinOnce ? 'close-stdin' : 'detach';
  const pumped = pumpAttach(attach, client, { stdout: o.stdout, stderr: o.stderr, stdin: o.stdin, keys, inputEnd });
  // Every byte read from the monitor reaches the client before the stream closes.
  await pumped.out.ended;
  client.end();
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
    if (q.follow) out.writeLines(perLine(batch, q));
    else {
      const runs = batched(batch, q);
      if (runs.length) out.writeRuns(runs);
    }
    await sinkDrained(out, signal);
  };
  // One reader from the oldest rotated file on, following (when asked) through the rotations
  // the container makes meanwhile: no line between the files already there and the new ones is
  // lost, however late this read gets to them.
  const opts = { follow: q.follow && running, signal, stopWhen, tail, ...window, reuseBuffer: true, rotated: true };
  for await (const batch of readK8sLogBatches(l.rec.LogPath, opts)) await emitBatch(batch);
}

/** Resolves when `out` took what was written (or is gone, or the client went away). */
function sinkDrained(out: LogSink, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  let done!: () => void;
  const aborted = new Promise<void>((r) => { done = r; });
  signal.addEventListener('abort', done);
  return Promise.race([out.drained(), aborted]).finally(() => signal.removeEventListener('abort', done));
}

const FRAME_MAX = 64 * 1024;

const streamOf = (e: LogEntry) => (e.stream === 'stderr' ? StdStream.Stderr : StdStream.Stdout);
const wanted = (e: LogEntry, q: { stdout: boolean; stderr: boolean }) => (e.stream === 'stderr' ? q.stderr : q.stdout);

/**
 * `batch` as a frame per line (docker's followed stream); the sink writes them all in one
 * buffer and one write, with no object made per line (see frameLines).
 */
function perLine(batch: LogEntry[], q: { stdout: boolean; stderr: boolean; timestamps: boolean }): LineBatch<LogEntry> {
  return {
    items: batch,
    streamOf: (e) => (wanted(e, q) ? streamOf(e) : undefined),
    lineOf: (e) => e.line,
    prefixOf: q.timestamps ? (e) => Buffer.from(toUtc(e.time) + ' ') : undefined,
  };
}

/** `batch` as few runs as possible: one per run of same-stream lines, ≤ 64 KiB each. */
function batched(batch: LogEntry[], q: { stdout: boolean; stderr: boolean; timestamps: boolean }): OutputRun[] {
  const runs: OutputRun[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  let stream = StdStream.Stdout;
  const flush = () => {
    if (!parts.length) return;
    runs.push({ stream, parts });
    parts = [];
    size = 0;
  };
  for (const e of batch) {
    if (!wanted(e, q)) continue;
    const s = streamOf(e);
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
  return runs;
}
