/**
 * Docker's time arguments, parsed the way moby does (one module for the CLI and every daemon
 * route that takes `since`/`until`):
 *  - `parseGoDuration`: Go's `time.ParseDuration` (`24h`, `1h30m`, `-10m`, `1.5h`, `.5s`), its messages.
 *  - `getTimestamp`: moby's `api/types/time.GetTimestamp`: a Go duration before `now`, RFC 3339
 *    with or without fraction and zone, `2006-01-02`, `2006-01-02T15`, `2006-01-02T15:04`, or unix
 *    seconds with an optional fraction; answers the unix timestamp string the API takes.
 *  - `parseTimestamps`: moby's `ParseTimestamps` (what the API itself takes for events and logs).
 *  - `pruneUntil` / `buildPruneUntil`: the `until` filter of the prunes.
 * Every failure throws `InvalidArgumentError` (400) with docker's message (docker answers 500 for
 * most of them; a client's mistake is never a 5xx here). Times in ms are unix milliseconds.
 */
import { InvalidArgumentError } from '../../common/errors.ts';

const INT64_MAX = (1n << 63n) - 1n;

/** Go's `strconv.Quote`, close enough for the messages (printable text in double quotes). */
function quote(s: string): string {
  return JSON.stringify(s);
}

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Go's `time.ParseDuration`: nanoseconds (as a number), or an Error with Go's message. */
export function parseGoDuration(orig: string): number {
  const invalid = () => new InvalidArgumentError(`time: invalid duration ${quote(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) { neg = s[0] === '-'; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    let i = 0;
    while (isDigit(s[i])) i++;
    const pre = i > 0;
    const intPart = s.slice(0, i);
    s = s.slice(i);
    let frac = '';
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      while (isDigit(s[j])) j++;
      frac = s.slice(0, j);
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) throw new InvalidArgumentError(`time: missing unit in duration ${quote(orig)}`);
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = UNIT_NS[unitName];
    if (unit === undefined) throw new InvalidArgumentError(`time: unknown unit ${quote(unitName)} in duration ${quote(orig)}`);
    const v = intPart === '' ? 0n : BigInt(intPart);
    if (v > (1n << 63n) / unit) throw invalid();
    let total = v * unit;
    if (frac !== '' && /[1-9]/.test(frac)) {
      // Go keeps the fraction's leading digits as an integer over a power of ten, then scales.
      const digits = frac.slice(0, 18);
      total += BigInt(Math.floor(Number(digits) * (Number(unit) / 10 ** digits.length)));
      if (total > 1n << 63n) throw invalid();
    }
    d += total;
    if (d > 1n << 63n) throw invalid();
  }
  if (!neg && d > INT64_MAX) throw invalid();
  return Number(neg ? -d : d);
}

// ---- Go's time.Parse, for the layouts GetTimestamp uses ----------------------------------

type Elem = '2006' | '01' | '02' | '15' | '04' | '05' | '.999999999' | 'Z07:00';
type Chunk = { lit: string } | { std: Elem };

/** A layout as literal runs and std elements (only what GetTimestamp's layouts contain). */
function chunks(layout: string): Chunk[] {
  const out: Chunk[] = [];
  const elems: Elem[] = ['2006', '.999999999', 'Z07:00', '01', '02', '15', '04', '05'];
  let i = 0;
  while (i < layout.length) {
    const e = elems.find((x) => layout.startsWith(x, i));
    if (e) { out.push({ std: e }); i += e.length; } else { out.push({ lit: layout[i]! }); i++; }
  }
  return out;
}

class GoParseError extends InvalidArgumentError {}

function daysIn(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Go's `time.Parse(layout, value)` (or `ParseInLocation` with a fixed offset, in minutes) for
 * the layouts of GetTimestamp. Returns unix seconds and nanoseconds.
 */
function goParse(layout: string, value: string, localOffsetMin: number | null): { sec: number; nsec: number } {
  const whole = value;
  const bad = (valueElem: string, layoutElem: string) =>
    new GoParseError(`parsing time ${quote(whole)} as ${quote(layout)}: cannot parse ${quote(valueElem)} as ${quote(layoutElem)}`);
  const range = (what: string) => new GoParseError(`parsing time ${quote(whole)}: ${what} out of range`);
  let year = 1, month = 1, day = 1, hour = 0, min = 0, sec = 0, nsec = 0;
  let zoneMin: number | null = null;
  const cs = chunks(layout);
  // getnum: one or two digits (`fixed`: exactly two).
  const getnum = (s: string, fixed: boolean): [number, string] | null => {
    if (!isDigit(s[0])) return null;
    if (!isDigit(s[1])) return fixed ? null : [Number(s[0]), s.slice(1)];
    return [Number(s.slice(0, 2)), s.slice(2)];
  };
  const fraction = (s: string, n: number): number => {
    const digits = s.slice(1, Math.min(n, 10));
    return Number(digits.padEnd(9, '0').slice(0, 9));
  };
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k]!;
    if ('lit' in c) {
      if (value[0] !== c.lit) throw bad(value, c.lit);
      value = value.slice(1);
      continue;
    }
    const std = c.std;
    switch (std) {
      case '2006': {
        if (value.length < 4 || !isDigit(value[0])) throw bad(value, std);
        const p = value.slice(0, 4);
        value = value.slice(4);
        if (!/^\d{4}$/.test(p)) throw bad(value, std);
        year = Number(p);
        break;
      }
      case '01': case '02': case '15': case '04': case '05': {
        const r = getnum(value, std !== '15');
        if (!r) throw bad(value, std);
        const [n, rest] = r;
        value = rest;
        if (std === '01') { month = n; if (n <= 0 || n > 12) throw range('month'); }
        else if (std === '02') day = n;
        else if (std === '15') { hour = n; if (n >= 24) throw range('hour'); }
        else if (std === '04') { min = n; if (n >= 60) throw range('minute'); }
        else {
          sec = n;
          if (n >= 60) throw range('second');
          // A fraction after the seconds is accepted even when the layout has none.
          const next = cs[k + 1];
          if (value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigit(value[1]) && !(next && 'std' in next && next.std === '.999999999')) {
            let n2 = 2;
            while (isDigit(value[n2])) n2++;
            nsec = fraction(value, n2);
            value = value.slice(n2);
          }
        }
        break;
      }
      case '.999999999': {
        if (value.length < 2 || !(value[0] === '.' || value[0] === ',') || !isDigit(value[1])) break;
        let i = 0;
        while (isDigit(value[i + 1])) i++;
        nsec = fraction(value, 1 + i);
        value = value.slice(1 + i);
        break;
      }
      case 'Z07:00': {
        if (value[0] === 'Z') { zoneMin = 0; value = value.slice(1); break; }
        if (value.length < 6 || value[3] !== ':') throw bad(value, std);
        const sign = value[0];
        const hh = getnum(value.slice(1, 3), true);
        const mm = getnum(value.slice(4, 6), true);
        if (!hh || !mm || (sign !== '+' && sign !== '-')) throw bad(value, std);
        zoneMin = (sign === '-' ? -1 : 1) * (hh[0] * 60 + mm[0]);
        value = value.slice(6);
        break;
      }
    }
  }
  if (value.length > 0) throw new GoParseError(`parsing time ${quote(whole)}: extra text: ${quote(value)}`);
  if (day < 1 || day > daysIn(month, year)) throw range('day');
  const offset = zoneMin ?? localOffsetMin ?? 0;
  const d = new Date(Date.UTC(2000, 0, 1, hour, min, sec));
  d.setUTCFullYear(year, month - 1, day); // Date.UTC would map years 0–99 to 1900+
  const ms = d.getTime() - offset * 60_000;
  return { sec: Math.floor(ms / 1000), nsec };
}

// ---- moby's api/types/time ------------------------------------------------------------

/** moby's `parseTimestamp`: `SECONDS[.NANOS]` (Go's strconv.ParseInt on each part). */
function parseUnix(value: string): { sec: number; nsec: number } {
  const dot = value.indexOf('.');
  const secPart = dot < 0 ? value : value.slice(0, dot);
  const sec = parseInt64(secPart);
  if (dot < 0) return { sec, nsec: 0 };
  const nPart = value.slice(dot + 1);
  const n = parseInt64(nPart);
  return { sec, nsec: Math.trunc(n * 10 ** (9 - nPart.length)) };
}

/** Go's `strconv.ParseInt(s, 10, 64)` with its messages. */
function parseInt64(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${quote(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > INT64_MAX || n < -(1n << 63n)) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${quote(s)}: value out of range`);
  return Number(n);
}

/**
 * moby's `GetTimestamp(value, now)`: what the docker CLI sends for `--since`/`--until`, and what
 * the daemon uses for the `until` filter. Answers unix seconds (`"1700000000"` for durations,
 * `"1700000000.000000000"` for dates, the value itself for unix timestamps).
 */
export function getTimestamp(value: string, now = Date.now()): string {
  if (value !== '0') {
    let d: number | undefined;
    try { d = parseGoDuration(value); } catch { d = undefined; }
    if (d !== undefined) return String(Math.floor((now - d / 1e6) / 1000));
  }
  const inLocation = !(/[zZ+]/.test(value) || value.split('-').length - 1 === 3);
  let layout: string;
  if (value.includes('.')) {
    layout = inLocation ? '2006-01-02T15:04:05.999999999' : '2006-01-02T15:04:05.999999999Z07:00';
  } else if (value.includes('T')) {
    let colons = value.split(':').length - 1;
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    const base = colons === 0 ? '2006-01-02T15' : colons === 1 ? '2006-01-02T15:04' : '2006-01-02T15:04:05';
    layout = inLocation ? base : `${base}Z07:00`;
  } else {
    layout = inLocation ? '2006-01-02' : '2006-01-02Z07:00';
  }
  try {
    // ParseInLocation uses the zone in effect now (time.FixedZone(now.Zone())).
    const t = goParse(layout, value, inLocation ? -new Date(now).getTimezoneOffset() : null);
    return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
  } catch (err) {
    if (value.includes('-')) throw err;
    try { parseUnix(value); } catch { throw new InvalidArgumentError(`failed to parse value as time or duration: ${quote(value)}`); }
    return value;
  }
}

/**
 * moby's `ParseTimestamps(value, def)` as the API takes `since`/`until` of events and logs:
 * undefined for a missing or empty value, else unix seconds (with the fraction).
 */
export function parseTimestamps(value: string | null | undefined): number | undefined {
  const t = parseUnixTime(value);
  return t === undefined ? undefined : t.sec + t.nsec / 1e9;
}

/** A unix time to the nanosecond (what a float of seconds cannot hold). */
export interface UnixTime { sec: number; nsec: number }

/** `parseTimestamps` keeping the nanoseconds exact (logs compare them with each line's time). */
export function parseUnixTime(value: string | null | undefined): UnixTime | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return parseUnix(value);
}

/** Nanoseconds since the epoch of a `UnixTime`. */
export function unixTimeNs(t: UnixTime): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
}

/** The docker CLI's `--since`/`--until` → the API's value (undefined stays undefined). */
export function cliTimestamp(value: string | undefined, now = Date.now()): string | undefined {
  return value === undefined ? undefined : getTimestamp(value, now);
}

/**
 * The `until` filter of container/image/network prune (moby's getUntilFromPruneFilters):
 * the cutoff in unix ms, or undefined without the filter. An object is pruned only when it was
 * created at or before the cutoff (docker: `Created.After(until)` keeps it).
 */
export function pruneUntil(values: string[] | undefined, now = Date.now()): number | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw new InvalidArgumentError('more than one until filter specified');
  return timestampMs(values[0]!, now);
}

/** A time argument (any form `getTimestamp` takes) as unix ms. */
export function timestampMs(value: string, now = Date.now()): number {
  const t = parseUnix(getTimestamp(value, now));
  return t.sec * 1000 + t.nsec / 1e6;
}

/**
 * Whether something created at `created` (an RFC 3339 string or unix ms) is kept by `until`.
 * A creation time that cannot be read is kept: pruning must never remove what it cannot date.
 */
export function keptByUntil(created: string | number | undefined, untilMs: number | undefined): boolean {
  if (untilMs === undefined) return false;
  const ms = typeof created === 'number' ? created : created ? Date.parse(created) : NaN;
  if (!Number.isFinite(ms)) return true;
  return ms > untilMs;
}

/** `POST /build/prune`'s `until` (BuildKit's: a duration only); the age in ms, or undefined. */
export function buildPruneUntil(values: string[] | undefined): number | undefined {
  if (!values || values.length === 0) return undefined;
  const v = values[values.length - 1]!;
  try {
    return parseGoDuration(v) / 1e6;
  } catch (err) {
    throw new InvalidArgumentError(`failed to prune build cache: "until" filter expects a duration (e.g., '24h'): ${(err as Error).message}`);
  }
}
