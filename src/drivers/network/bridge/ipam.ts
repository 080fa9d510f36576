/**
 * IPv4 address management for bridge networks: CIDR parsing, picking a free subnet the way
 * docker's default address pools do (172.17–172.31 as /16, then 192.168.0–255 as /24),
 * skipping anything that overlaps a host route or another of our networks, and handing out
 * addresses inside a subnet round-robin (so a released address is not reused at once).
 * Pure functions over plain data; persistence is the caller's (see state.ts).
 */
import { InvalidArgumentError } from '../../../common/errors.ts';

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefixLen: number;
}

export function ipToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) throw new InvalidArgumentError(`invalid IP address: ${ip}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new InvalidArgumentError(`invalid IP address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Parses `a.b.c.d/n`; the host bits are cleared (docker accepts `172.20.0.1/16` too). */
export function parseCidr(s: string): Cidr {
  const [ip, len] = s.split('/');
  const prefixLen = Number(len);
  if (!ip || len === undefined || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) {
    throw new InvalidArgumentError(`invalid CIDR address: ${s}`);
  }
  return { base: (ipToInt(ip) & mask(prefixLen)) >>> 0, prefixLen };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefixLen}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefixLen)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.prefixLen, b.prefixLen);
  return ((a.base & mask(len)) >>> 0) === ((b.base & mask(len)) >>> 0);
}

/** Default pools, in order: 172.19.0.0/16 … 172.31.0.0/16 (172.17 is docker0, 172.18 wharf0), then 192.168.0–255.0/24 */
export function* defaultPools(): Generator<Cidr> {
  for (let b = 19; b <= 31; b++) yield { base: ipToInt(`172.${b}.0.0`), prefixLen: 16 };
  for (let c = 0; c <= 255; c++) yield { base: ipToInt(`192.168.${c}.0`), prefixLen: 24 };
}

/**
 * First default pool that overlaps none of `taken` (host routes, our other networks).
 * Routes of prefix 0 (default routes) are ignored, as docker does.
 */
export function pickSubnet(taken: Cidr[], skipBelow = 0): Cidr {
  let i = 0;
  for (const pool of defaultPools()) {
    if (i++ < skipBelow) continue;
    if (!taken.some((t) => t.prefixLen > 0 && overlaps(t, pool))) return pool;
  }
  throw new InvalidArgumentError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/** Parses `ip -4 route show table all` lines into destination CIDRs (host routes). */
export function parseRoutes(text: string): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    let dst = words[0];
    if (dst === 'local' || dst === 'broadcast' || dst === 'unicast') dst = words[1];
    if (!dst || dst === 'default') continue;
    try {
      out.push(parseCidr(dst.includes('/') ? dst : `${dst}/32`));
    } catch (err) { if (!(err instanceof InvalidArgumentError)) throw err; /* a keyword, not an address */ }
  }
  return out;
}

/**
 * Picks the next free host address of `range` (default: all of `subnet`) after `last`
 * (round-robin), never the subnet's network, broadcast or gateway address, never the range's
 * own base address (docker starts an `--ip-range` at its first host), never one in `used`.
 * Returns undefined when the range is full.
 */
export function nextFreeIp(subnet: Cidr, gateway: number, used: Set<number>, last: number, range: Cidr = subnet): number | undefined {
  const size = 2 ** (32 - subnet.prefixLen);
  if (size < 4) return undefined;
  const rsize = 2 ** (32 - range.prefixLen);
  const first = Math.max(subnet.base + 1, range.base + (rsize > 1 ? 1 : 0));
  const lastHost = Math.min(subnet.base + size - 2, range.base + rsize - 1);
  if (lastHost < first) return undefined;
  const span = lastHost - first + 1;
  const start = last >= first && last <= lastHost ? last + 1 : first;
  for (let k = 0; k < span; k++) {
    let ip = start + k;
    if (ip > lastHost) ip -= span;
    if (ip !== gateway && !used.has(ip)) return ip >>> 0;
  }
  return undefined;
}

/** Docker's MAC for an address: 02:42 followed by the four IPv4 bytes. */
export function macForIp(ip: number): string {
  const b = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
