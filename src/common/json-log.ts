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
import { LineRecords } from './line-records.ts';

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

/** Bytes that a JSON string (Go's way) cannot carry as they are: controls, quote, backslash, <, >, & and non-ASCII (checked as text). */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = 1;
for (const c of [0x22, 0x5c, 0x3c, 0x3e, 0x26]) PLAIN[c] = 0;

/**
 * One json-file line written into `out` at `o` (the fast path of encodeJsonLogLine for the
 * monitor: no strings for plain ASCII lines); returns the new offset, or -1 when `out` lacks room.
 * `time` is the ASCII RFC3339Nano time; `newline` adds the line's "\n" (conmon's F records).
 */
export function encodeJsonLogInto(out: Buffer, o: number, stream: 'stdout' | 'stderr', payload: Buffer, newline: boolean, time: string): number {
  const len = payload.length;
  let plain = true;
  for (let i = 0; i < len; i++) if (PLAIN[payload[i]!] === 0) { plain = false; break; }
  if (!plain) {
    const text = goJsonString(payload.toString('utf8') + (newline ? '\n' : ''));
    const line = `{"log":${text},"stream":"${stream}","time":"${time}"}\n`;
    if (o + Buffer.byteLength(line) > out.length) return -1;
    return o + out.write(line, o, 'utf8');
  }
  const total = 8 + len + (newline ? 2 : 0) + 12 + stream.length + 10 + time.length + 3;
  if (o + total > out.length) return -1;
  o += out.write('{"log":"', o, 'latin1');
  o += payload.copy(out, o);
  o += out.write(newline ? `\\n","stream":"${stream}","time":"${time}"}\n` : `","stream":"${stream}","time":"${time}"}\n`, o, 'latin1');
  return o;
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

const QUOTE = 0x22;
const BSLASH = 0x5c;
const HEAD = Buffer.from('{"log":"');
const STREAM = Buffer.from('","stream":"std');
const TIME = Buffer.from('","time":"');

function hex4(buf: Buffer, i: number): number {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = buf[k]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Writes code point `cp` as UTF-8 at `o`; returns the new offset. */
function putUtf8(out: Buffer, o: number, cp: number): number {
  if (cp < 0x80) { out[o++] = cp; } else if (cp < 0x800) { out[o++] = 0xc0 | (cp >> 6); out[o++] = 0x80 | (cp & 0x3f); } else if (cp < 0x10000) {
    out[o++] = 0xe0 | (cp >> 12); out[o++] = 0x80 | ((cp >> 6) & 0x3f); out[o++] = 0x80 | (cp & 0x3f);
  } else {
    out[o++] = 0xf0 | (cp >> 18); out[o++] = 0x80 | ((cp >> 12) & 0x3f); out[o++] = 0x80 | ((cp >> 6) & 0x3f); out[o++] = 0x80 | (cp & 0x3f);
  }
  return o;
}

/** Whether `buf` holds `pat` at `at` (a JS loop: cheaper than Buffer#compare's native call for a few bytes). */
function bytesAt(buf: Buffer, at: number, pat: Buffer): boolean {
  for (let k = 0; k < pat.length; k++) if (buf[at + k] !== pat[k]) return false;
  return true;
}

/**
 * Decodes the JSON string body starting at `i` (just past its opening quote) IN PLACE: a JSON
 * string never grows when decoded, so the bytes are written back over the string itself (a
 * plain line moves nothing). Returns [index of the closing quote, end of the decoded bytes],
 * or undefined for anything unexpected (the line then goes to JSON.parse, which needs the
 * original bytes: nothing is written before a line is known to be well formed, see below).
 */
function decodeInPlace(buf: Buffer, i: number, end: number): [number, number] | undefined {
  let w = i;
  while (i < end) {
    const c = buf[i]!;
    if (c === QUOTE) return [i, w];
    if (c !== BSLASH) { if (w !== i) buf[w] = c; w++; i++; continue; }
    const e = buf[i + 1];
    i += 2;
    switch (e) {
      case 0x6e: buf[w++] = 0x0a; break; // n
      case 0x74: buf[w++] = 0x09; break; // t
      case 0x72: buf[w++] = 0x0d; break; // r
      case QUOTE: case BSLASH: case 0x2f: buf[w++] = e; break;
      case 0x62: buf[w++] = 0x08; break; // b
      case 0x66: buf[w++] = 0x0c; break; // f
      case 0x75: { // uXXXX, surrogate pairs joined
        if (i + 4 > end) return undefined;
        let cp = hex4(buf, i);
        if (cp < 0) return undefined;
        i += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && buf[i] === BSLASH && buf[i + 1] === 0x75 && i + 6 <= end) {
          const lo = hex4(buf, i + 2);
          if (lo >= 0xdc00 && lo < 0xe000) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i += 6; }
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; // a lone surrogate
        w = putUtf8(buf, w, cp);
        break;
      }
      default: return undefined;
    }
  }
  return undefined;
}

/** The log string's closing quote when the line is in docker's layout, else -1 (no byte written). */
function dockerLayout(buf: Buffer, start: number, end: number): number {
  if (!bytesAt(buf, start, HEAD)) return -1;
  // The closing quote: the first '"' not escaped by an odd run of backslashes.
  let i = start + HEAD.length;
  for (;;) {
    while (i < end && buf[i] !== QUOTE && buf[i] !== BSLASH) i++;
    if (i >= end) return -1;
    if (buf[i] === QUOTE) break;
    i += 2;
  }
  const s = i + STREAM.length;
  if (s + 3 + TIME.length + 2 > end || !bytesAt(buf, i, STREAM) || !bytesAt(buf, s + 3, TIME)) return -1;
  if (buf[end - 1] !== 0x7d || buf[end - 2] !== QUOTE) return -1;
  if (!((buf[s] === 0x6f && buf[s + 1] === 0x75 && buf[s + 2] === 0x74) || (buf[s] === 0x65 && buf[s + 1] === 0x72 && buf[s + 2] === 0x72))) return -1;
  return i;
}

/**
 * Reads json-file lines back into log entries; the same feed/flush interface as the k8s-file
 * parser. Lines in docker's layout (`{"log":…,"stream":…,"time":…}`) are decoded in place in
 * the chunk (JSON.parse per line made reading 100 MB ~2× slower than k8s-file); anything else
 * goes through JSON.parse. Entries' lines point into the chunk, like the k8s-file parser's, and
 * the chunk is overwritten (the caller hands over bytes it is done with).
 */
export class JsonLogParser extends LineRecords<LogEntry[]> {
  protected record(buf: Buffer, start: number, end: number, out: LogEntry[]): void {
    if (end <= start) return;
    const q = dockerLayout(buf, start, end);
    if (q >= 0) {
      const s = q + STREAM.length;
      const stream = buf[s] === 0x65 ? 'stderr' : 'stdout';
      const time = buf.toString('latin1', s + 3 + TIME.length, end - 2);
      const r = decodeInPlace(buf, start + HEAD.length, q + 1);
      if (r) {
        out.push({ time, stream, line: buf.subarray(start + HEAD.length, r[1]) });
        return;
      }
      // A bad escape: decodeInPlace may have moved bytes; JSON.parse would fail on them too.
      return;
    }
    let j: { log?: unknown; stream?: unknown; time?: unknown };
    try {
      j = JSON.parse(buf.toString('utf8', start, end)) as typeof j;
    } catch {
      return; // a torn or foreign line (docker's reader skips them too)
    }
    if (typeof j.log !== 'string' || typeof j.time !== 'string') return;
    out.push({ time: j.time, stream: j.stream === 'stderr' ? 'stderr' : 'stdout', line: Buffer.from(j.log, 'utf8') });
  }

/** A last line without its "\n" (a writer cut short) is dropped: it is not a whole entry. */
  flush(_out: LogEntry[]): void {
    this.dropRest();
  }
}
