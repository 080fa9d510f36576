/**
 * docker's json-file log format: one JSON object per line,
 *   {"log":"<the line, with its \n>","stream":"stdout|stderr","time":"<RFC3339Nano, UTC>"}
 * keys in that order, as moby's jsonfilelog writes them (Fluent Bit's `docker` parser,
 * Filebeat's `container` input and Promtail's `docker` stage read exactly this). A line the
 * process left unterminated (or one longer than the monitor's buffer) is written without its
 * "\n"; the next entry of the same stream carries the rest, as docker's partial messages do.
 *
 * Writing: `encodeJsonLogLine`. Reading back: `JsonLogParser` (used by k8s-log.ts's reader,
 * which picks the parser by the file's first byte).
 */
import type { LogEntry } from './k8s-log.ts';

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029', '\\b': '\\u0008', '\\f': '\\u000c',
};

/** A JSON string literal as Go's encoding/json writes it (HTML characters and \b, \f escaped as \u00XX). */
export function goJsonString(s: string): string {
  const j = JSON.stringify(s);
  return /[<>&\u2028\u2029]|\\[bf]/.test(j) ? j.replace(/[<>&\u2028\u2029]|(?<!\\)(?:\\\\)*\\[bf]/g, (m) => m.length === 1 ? GO_ESCAPES[m]! : m.slice(0, -2) + GO_ESCAPES[m.slice(-2)]!) : j;
}

/** One json-file line (with its trailing "\n"): `line` is the process's bytes, `time` RFC3339Nano UTC. */
export function encodeJsonLogLine(stream: 'stdout' | 'stderr', line: Buffer | string, time: string): string {
  const text = typeof line === 'string' ? line : line.toString('utf8');
  return `{"log":${goJsonString(text)},"stream":"${stream}","time":"${time}"}\n`;
}

/**
 * A conmon (k8s-file) timestamp, `2026-12-07T04:11:30.123456789+01:00`, as Go's RFC3339Nano
 * in UTC: `2026-12-07T03:11:30.123456789Z` (trailing zeros of the fraction dropped, as Go does).
 * Returns undefined for text that is not such a timestamp.
 */
export function k8sTimeToUtc(t: string): string | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return undefined;
  const frac = (m[7] ?? '').replace(/0+$/, '');
  let base: string;
  if (m[8] === 'Z' || m[8] === '+00:00' || m[8] === '-00:00') {
    base = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  } else {
    const sign = m[8]!.startsWith('-') ? -1 : 1;
    const offMin = sign * (Number(m[8]!.slice(1, 3)) * 60 + Number(m[8]!.slice(4, 6)));
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - offMin * 60_000;
    base = new Date(ms).toISOString().slice(0, 19);
  }
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/** Go's RFC3339Nano (UTC) for a Date plus extra nanoseconds within its millisecond. */
export function rfc3339NanoUtc(d: Date, subMsNs = 0): string {
  const iso = d.toISOString(); // 2026-12-07T04:11:30.123Z
  const frac = `${iso.slice(20, 23)}${String(subMsNs).padStart(6, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

const NL = 0x0a;

/** Reads json-file lines back into log entries; the same feed/flush interface as the k8s-file parser. */
export class JsonLogParser {
  private rest: Buffer | undefined;

  feed(chunk: Buffer, out: LogEntry[]): void {
    let start = 0;
    if (this.rest) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.rest = Buffer.concat([this.rest, chunk]);
        return;
      }
      const first = Buffer.concat([this.rest, chunk.subarray(0, nl)]);
      this.rest = undefined;
      this.record(first, 0, first.length, out);
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      this.record(chunk, start, nl, out);
      start = nl + 1;
    }
    if (start < chunk.length) this.rest = Buffer.from(chunk.subarray(start));
  }

  private record(buf: Buffer, start: number, end: number, out: LogEntry[]): void {
    if (end <= start) return;
    let o: { log?: unknown; stream?: unknown; time?: unknown };
    try {
      o = JSON.parse(buf.toString('utf8', start, end)) as typeof o;
    } catch {
      return; // a torn or foreign line (docker's reader skips them too)
    }
    if (typeof o.log !== 'string' || typeof o.time !== 'string') return;
    out.push({ time: o.time, stream: o.stream === 'stderr' ? 'stderr' : 'stdout', line: Buffer.from(o.log, 'utf8') });
  }

  /** A last line without its "\n" (a writer cut short) is dropped: it is not a whole entry. */
  flush(_out: LogEntry[]): void {
    this.rest = undefined;
  }
}
