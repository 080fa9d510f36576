/**
 * Reading a container's cgroup counters, for cgroup v1 and v2; where the cgroup lives is
 * common/cgroups.ts.
 *
 *   const dirs = containerCgroupDirs(detectCgroupLayout(), id);   // common/cgroups.ts
 *   const s = readCgroupSample(dirs);                               // CgroupSample (numbers in docker's units)
 *
 * The parsers take file contents, so captured files unit-test both versions.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CgroupDirs } from '../../../common/cgroups.ts';

export interface BlkioEntry { major: number; minor: number; op: string; value: number }

/** Counters read at one instant, in docker's units (ns for cpu, bytes for memory). */
export interface CgroupSample {
  cpuTotal: number;
  percpu?: number[];
  cpuKernel: number;
  cpuUser: number;
  throttling: { periods: number; throttled_periods: number; throttled_time: number };
  memUsage: number;
  memMaxUsage?: number;
  memLimit: number;
  memFailcnt?: number;
  memStats: Record<string, number>;
  pidsCurrent: number;
  pidsLimit?: number;
  ioBytes: BlkioEntry[];
  ioServiced: BlkioEntry[];
}

function read(dir: string | undefined, file: string): string | undefined {
  if (!dir) return undefined;
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

const num = (s: string | undefined): number => {
  const n = Number((s ?? '').trim());
  return Number.isFinite(n) ? n : 0;
};

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) → record. */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** v1 blkio `MAJ:MIN Op value` lines; the `Total` lines are dropped. */
export function parseBlkioV1(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(\S+)\s+(\d+)$/.exec(line.trim());
    if (m && m[3] !== 'Total') out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

/** v2 io.stat `MAJ:MIN rbytes=… wbytes=… rios=… wios=…` → docker's (bytes, serviced) lists. */
export function parseIoStatV2(text: string | undefined): { bytes: BlkioEntry[]; serviced: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(kvs.map((x) => x.split('=') as [string, string]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    bytes.push({ major, minor, op: 'read', value: num(kv.rbytes) }, { major, minor, op: 'write', value: num(kv.wbytes) });
    serviced.push({ major, minor, op: 'read', value: num(kv.rios) }, { major, minor, op: 'write', value: num(kv.wios) });
  }
  return { bytes, serviced };
}

/** USER_HZ ticks → ns (Linux exports 100 Hz to user space on every arch docker supports). */
const TICK_NS = 1e9 / 100;

/** A v1 memory/pids limit; the kernel's "unlimited" (near 2^63) becomes Infinity. */
function v1Limit(s: string | undefined): number {
  const n = num(s);
  return n >= 2 ** 62 || n === 0 ? Infinity : n;
}

function v2Limit(s: string | undefined): number {
  const t = (s ?? '').trim();
  return t === '' || t === 'max' ? Infinity : num(t);
}

export function readCgroupV1(dirs: Extract<CgroupDirs, { version: 1 }>['dirs']): CgroupSample {
  const acct = parseKeyValues(read(dirs.cpuacct, 'cpuacct.stat'));
  const cpuStat = parseKeyValues(read(dirs.cpu, 'cpu.stat'));
  const percpu = (read(dirs.cpuacct, 'cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  const pidsMax = (read(dirs.pids, 'pids.max') ?? '').trim();
  return {
    cpuTotal: num(read(dirs.cpuacct, 'cpuacct.usage')),
    percpu,
    cpuKernel: (acct.system ?? 0) * TICK_NS,
    cpuUser: (acct.user ?? 0) * TICK_NS,
    throttling: { periods: cpuStat.nr_periods ?? 0, throttled_periods: cpuStat.nr_throttled ?? 0, throttled_time: cpuStat.throttled_time ?? 0 },
    memUsage: num(read(dirs.memory, 'memory.usage_in_bytes')),
    memMaxUsage: num(read(dirs.memory, 'memory.max_usage_in_bytes')),
    memLimit: v1Limit(read(dirs.memory, 'memory.limit_in_bytes')),
    memFailcnt: num(read(dirs.memory, 'memory.failcnt')),
    memStats: parseKeyValues(read(dirs.memory, 'memory.stat')),
    pidsCurrent: num(read(dirs.pids, 'pids.current')),
    pidsLimit: pidsMax === '' || pidsMax === 'max' ? undefined : num(pidsMax),
    ioBytes: parseBlkioV1(read(dirs.blkio, 'blkio.throttle.io_service_bytes_recursive')),
    ioServiced: parseBlkioV1(read(dirs.blkio, 'blkio.throttle.io_serviced_recursive')),
  };
}

export function readCgroupV2(dir: string): CgroupSample {
  const cpuStat = parseKeyValues(read(dir, 'cpu.stat'));
  const io = parseIoStatV2(read(dir, 'io.stat'));
  const pidsMax = v2Limit(read(dir, 'pids.max'));
  return {
    cpuTotal: (cpuStat.usage_usec ?? 0) * 1000,
    cpuKernel: (cpuStat.system_usec ?? 0) * 1000,
    cpuUser: (cpuStat.user_usec ?? 0) * 1000,
    throttling: { periods: cpuStat.nr_periods ?? 0, throttled_periods: cpuStat.nr_throttled ?? 0, throttled_time: (cpuStat.throttled_usec ?? 0) * 1000 },
    memUsage: num(read(dir, 'memory.current')),
    memLimit: v2Limit(read(dir, 'memory.max')),
    memStats: parseKeyValues(read(dir, 'memory.stat')),
    pidsCurrent: num(read(dir, 'pids.current')),
    pidsLimit: pidsMax === Infinity ? undefined : pidsMax,
    ioBytes: io.bytes,
    ioServiced: io.serviced,
  };
}

export function readCgroupSample(d: CgroupDirs): CgroupSample {
  return d.version === 1 ? readCgroupV1(d.dirs) : readCgroupV2(d.dir);
}
