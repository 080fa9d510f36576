/**
 * Reads conmon's k8s-file log (`<RFC3339Nano+offset> <stdout|stderr> <F|P> <bytes>\n`) back as
 * docker log entries: `P` fragments joined up to the next `F`, time in UTC RFC3339Nano.
 * Streams in 1 MiB chunks (100 MB reads in about a second); `follow` keeps reading appended
 * data until the container stops.
 */
import fs from 'node:fs';

export interface LogEntry { time: string; stream: 'stdout' | 'stderr'; line: Buffer }

export interface LogReadOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  tail?: number;
  /** Unix seconds. */
  since?: number;
  until?: number;
  isRunning?: () => boolean;
  signal?: AbortSignal;
}

const CHUNK = 1 << 20;

/** `2026-11-28T09:21:53.988719328+00:00` → `2026-11-28T09:21:53.988719328Z` (UTC). */
export function toUtc(t: string): string {
  if (t.endsWith('+00:00')) return t.slice(0, -6) + 'Z';
  if (t.endsWith('Z')) return t;
  const m = /^(.*?)(\.\d+)?([+-]\d\d:\d\d)$/.exec(t);
  if (!m) return t;
  const d = new Date(m[1]! + m[3]!);
  return d.toISOString().replace(/\.\d{3}Z$/, `${m[2] ?? ''}Z`);
}

function seconds(t: string): number {
  return Date.parse(t) / 1000;
}

class Parser {
  private pending = new Map<string, Buffer[]>();
  private rest: Buffer = Buffer.alloc(0);
  constructor(private readonly o: LogReadOptions) {}

  /** Complete entries from a chunk; keeps an unfinished last line for the next call. */
  feed(chunk: Buffer, out: LogEntry[]): void {
    let buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      this.line(buf.subarray(start, nl), out);
      start = nl + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    buf = Buffer.alloc(0);
  }

  private line(l: Buffer, out: LogEntry[]): void {
    const s1 = l.indexOf(32);
    const s2 = l.indexOf(32, s1 + 1);
    const s3 = l.indexOf(32, s2 + 1);
    if (s1 < 0 || s2 < 0) return;
    const stream = l.toString('latin1', s1 + 1, s2) === 'stderr' ? 'stderr' : 'stdout';
    const full = s3 < 0 ? true : l[s2 + 1] === 70; // 'F'
    const payload = s3 < 0 ? Buffer.alloc(0) : l.subarray(s3 + 1);
    const key = stream;
    if (!full) {
      const parts = this.pending.get(key) ?? [];
      parts.push(Buffer.from(payload));
      this.pending.set(key, parts);
      return;
    }
    const parts = this.pending.get(key);
    this.pending.delete(key);
    const body = parts ? Buffer.concat([...parts, payload, Buffer.from('\n')]) : Buffer.concat([payload, Buffer.from('\n')]);
    if ((stream === 'stdout' && !this.o.stdout) || (stream === 'stderr' && !this.o.stderr)) return;
    const time = toUtc(l.toString('latin1', 0, s1));
    if (this.o.since !== undefined && seconds(time) < this.o.since) return;
    if (this.o.until !== undefined && seconds(time) > this.o.until) return;
    out.push({ time, stream, line: body });
  }

  /** Partial fragments left at the end (container exited mid-line). */
  flush(out: LogEntry[]): void {
    for (const [stream, parts] of this.pending) {
      if ((stream === 'stdout' && !this.o.stdout) || (stream === 'stderr' && !this.o.stderr)) continue;
      out.push({ time: new Date().toISOString(), stream: stream as 'stdout', line: Buffer.concat(parts) });
    }
    this.pending.clear();
  }
}

export async function* readLogEntries(file: string, o: LogReadOptions): AsyncGenerator<LogEntry> {
  const parser = new Parser(o);
  let fd: number | undefined;
  const open = () => { try { fd = fs.openSync(file, 'r'); } catch { fd = undefined; } };
  open();
  let pos = 0;
  const buf = Buffer.allocUnsafe(CHUNK);
  const ring: LogEntry[] | undefined = o.tail !== undefined ? [] : undefined;
  try {
    // Existing content.
    if (fd !== undefined) {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, CHUNK, pos);
        if (n <= 0) break;
        pos += n;
        const out: LogEntry[] = [];
        parser.feed(buf.subarray(0, n), out);
        if (ring) {
          ring.push(...out);
          if (ring.length > o.tail! * 2 + 1024) ring.splice(0, ring.length - o.tail!);
        } else {
          for (const e of out) yield e;
        }
        if (o.signal?.aborted) return;
      }
    }
    if (ring) for (const e of o.tail === 0 ? [] : ring.slice(-o.tail!)) yield e;
    if (!o.follow) return;
    // Follow: poll for appended data while the container runs; drain once after it stops.
    for (;;) {
      if (o.signal?.aborted) return;
      const running = o.isRunning?.() ?? false;
      if (fd === undefined) open();
      if (fd !== undefined) {
        const n = fs.readSync(fd, buf, 0, CHUNK, pos);
        if (n > 0) {
          pos += n;
          const out: LogEntry[] = [];
          parser.feed(buf.subarray(0, n), out);
          for (const e of out) yield e;
          continue;
        }
      }
      if (!running) {
        const out: LogEntry[] = [];
        parser.flush(out);
        for (const e of out) yield e;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
