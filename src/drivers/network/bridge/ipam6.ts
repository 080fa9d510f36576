/**
 * IPv6 address management for bridge networks whose client gave an IPv6 subnet (docker 20.10
 * has no default IPv6 pools): parsing and RFC 5952 formatting over BigInt, containment and
 * overlap, and handing out addresses of a subnet or of its `IPRange` round-robin. The
 * subnet's own (all-zero host) address is never handed out; IPv6 has no broadcast address.
 * Pure functions over plain data, like ipam.ts.
 */
import net from 'node:net';
import { InvalidArgumentError } from '../../../common/errors.ts';

export interface Cidr6 {
  base: bigint;
  prefixLen: number;
}

const ALL = (1n << 128n) - 1n;

export function isIp6(s: string): boolean {
  return net.isIPv6(s) && !s.includes('%');
}

export function ip6ToBig(ip: string): bigint {
  if (!isIp6(ip)) throw new InvalidArgumentError(`invalid IPv6 address: ${ip}`);
  let s = ip;
  // a trailing dotted quad (::ffff:1.2.3.4) becomes two groups
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, quad.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return v;
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function bigToIp6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function mask6(prefixLen: number): bigint {
  return prefixLen === 0 ? 0n : (ALL << BigInt(128 - prefixLen)) & ALL;
}

/** Parses `addr/len`; host bits are cleared (docker accepts `2001:db8::1/64`). */
export function parseCidr6(s: string): Cidr6 {
  const [ip, len, ...rest] = s.split('/');
  const prefixLen = Number(len);
  if (rest.length || !ip || !len || !/^\d{1,3}$/.test(len) || prefixLen > 128 || !isIp6(ip)) throw new InvalidArgumentError(`invalid CIDR address: ${s}`);
  return { base: ip6ToBig(ip) & mask6(prefixLen), prefixLen };
}

export function formatCidr6(c: Cidr6): string {
  return `${bigToIp6(c.base)}/${c.prefixLen}`;
}

export function contains6(c: Cidr6, ip: bigint): boolean {
  return (ip & mask6(c.prefixLen)) === c.base;
}

export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  const m = mask6(Math.min(a.prefixLen, b.prefixLen));
  return (a.base & m) === (b.base & m);
}

/**
 * The next free address of `range` (inside `subnet`) after `last`, round-robin; never the
 * range's or the subnet's base address, never one in `used` (the gateway is in there).
 */
export function nextFreeIp6(subnet: Cidr6, range: Cidr6, used: Set<bigint>, last: bigint): bigint | undefined {
  const size = 1n << BigInt(128 - range.prefixLen);
  const first = range.base + 1n;
  const lastHost = range.base + size - 1n;
  if (lastHost < first) return undefined;
  let ip = last >= first && last < lastHost ? last + 1n : first;
  // bounded scan: a /64 is never walked whole, only past the addresses in use
  for (let k = 0; k <= used.size + 1; k++) {
    if (ip !== subnet.base && !used.has(ip)) return ip;
    ip = ip >= lastHost ? first : ip + 1n;
  }
  return undefined;
}
