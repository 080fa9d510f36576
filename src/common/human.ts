/**
 * Docker's human-readable units (github.com/docker/go-units), so sizes, durations and
 * memory flags read and parse exactly as with docker:
 *
 *   humanSize(72_800_000)      → "72.8MB"   (decimal, 3 significant digits, as `docker images`)
 *   bytesSize(1_572_864)       → "1.5MiB"   (binary, 4 significant digits, as `docker stats`)
 *   humanDuration(90_000)      → "About a minute"
 *   timeAgo(created, now)      → "3 hours ago"
 *   goDuration(90e9)           → "1m30s"   (Go's time.Duration String(), from nanoseconds)
 *   parseBytes("64m")          → 67108864   (RAMInBytes: --memory, --shm-size)
 *   parseSize("1.5GB")         → 1500000000 (FromHumanSize)
 */
import { InvalidArgumentError } from './errors.ts';
import { formatFloat } from './go-template/float-format.ts';

const DECIMAL_ABBRS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_ABBRS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, abbrs: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return [size, abbrs[i]!];
}

/**
 * go-units HumanSizeWithPrecision: decimal units, `precision` significant digits ("%.*g").
 * Docker's image and container sizes use precision 3 (the default here); go-units'
 * HumanSize (used by `docker system df`) is precision 4.
 */
export function humanSize(bytes: number, precision = 3): string {
  const [size, unit] = sizeAndUnit(bytes, 1000, DECIMAL_ABBRS);
  return formatFloat(size, 'g', precision) + unit;
}

/** go-units BytesSize: binary units, "%.4g" ("1.5MiB", "44KiB"). */
export function bytesSize(bytes: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1024, BINARY_ABBRS);
  return formatFloat(size, 'g', 4) + unit;
}

/** go-units HumanDuration for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

function toMillis(d: Date | number | string): number {
  return d instanceof Date ? d.getTime() : typeof d === 'number' ? d : Date.parse(d);
}

/** `docker ps` CreatedSince / `docker images` CREATED: "2 minutes ago". */
export function timeAgo(date: Date | number | string, now: Date | number | string = Date.now()): string {
  return `${humanDuration(toMillis(now) - toMillis(date))} ago`;
}

const DECIMAL_MAP: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BINARY_MAP: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** strconv.ParseFloat's accepted decimal syntax (no surrounding spaces). */
const GO_FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Go's int64(f): truncation, and -0 becomes 0. */
function toInt(f: number): number {
  return Math.trunc(f) || 0;
}

/** go-units parseSize: number, optional single space, optional suffix b / k[b|ib] / … */
function parse(sizeStr: string, map: Record<string, number>): number {
  let sep = -1;
  for (let i = sizeStr.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(sizeStr[i]!)) { sep = i; break; }
  }
  if (sep === -1) throw new InvalidArgumentError(`invalid size: '${sizeStr}'`);
  const num = sizeStr[sep] === ' ' ? sizeStr.slice(0, sep) : sizeStr.slice(0, sep + 1);
  let sfx = sizeStr.slice(sep + 1);
  if (!GO_FLOAT.test(num)) {
    throw new InvalidArgumentError(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  let size = Number(num);
  if (size < 0) throw new InvalidArgumentError(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return toInt(size);
  const bad = (): never => { throw new InvalidArgumentError(`invalid suffix: '${sfx}'`); };
  if (sfx.length > 3) bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) bad();
    return toInt(size);
  }
  const mul = map[sfx[0]!];
  if (mul === undefined) bad();
  size *= mul!;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) bad();
  return toInt(size);
}

/**
 * go-units RAMInBytes: "64m", "1.5g", "512k", "2GiB", "100" → bytes, binary multiples,
 * case-insensitive, optional `b`/`ib` suffix. Throws InvalidArgumentError on garbage.
 */
export function parseBytes(s: string): number {
  return parse(s, BINARY_MAP);
}

/** go-units FromHumanSize: like parseBytes with decimal multiples ("1kB" = 1000). */
export function parseSize(s: string): number {
  return parse(s, DECIMAL_MAP);
}

/** Go's time.Duration String(): 400ms, 1s, 1.5s, 1m30s, 1h0m0s (from nanoseconds, truncated). */
export function goDuration(nanoseconds: number): string {
  let ns = Math.trunc(nanoseconds);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  if (ns < 0) ns = -ns;
  const trimFrac = (whole: number, frac: number, digits: number): string => {
    const f = String(frac).padStart(digits, '0').replace(/0+$/, '');
    return f ? `${whole}.${f}` : String(whole);
  };
  if (ns < 1e9) {
    if (ns < 1e3) return `${sign}${ns}ns`;
    if (ns < 1e6) return `${sign}${trimFrac(Math.floor(ns / 1e3), ns % 1e3, 3)}µs`;
    return `${sign}${trimFrac(Math.floor(ns / 1e6), ns % 1e6, 6)}ms`;
  }
  const secsTotal = Math.floor(ns / 1e9);
  const secs = trimFrac(secsTotal % 60, ns % 1e9, 9);
  const mins = Math.floor(secsTotal / 60);
  if (mins === 0) return `${sign}${secs}s`;
  const hours = Math.floor(mins / 60);
  if (hours === 0) return `${sign}${mins % 60}m${secs}s`;
  return `${sign}${hours}h${mins % 60}m${secs}s`;
}
