/**
 * `--ulimit` → OCI `process.rlimits`. Values are clamped to the daemon's own hard limits
 * (read from /proc/self/limits): the daemon has no CAP_SYS_RESOURCE here, so runc could
 * not raise a limit above them anyway and the start would fail.
 */
import fs from 'node:fs';
import { InvalidArgumentError } from '../common/errors.ts';
import type { RlimitSpec } from './spec-types.ts';

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** docker ulimit name → RLIMIT_* and the row label in /proc/self/limits. */
const ULIMITS: Record<string, [string, string]> = {
  core: ['RLIMIT_CORE', 'Max core file size'],
  cpu: ['RLIMIT_CPU', 'Max cpu time'],
  data: ['RLIMIT_DATA', 'Max data size'],
  fsize: ['RLIMIT_FSIZE', 'Max file size'],
  locks: ['RLIMIT_LOCKS', 'Max file locks'],
  memlock: ['RLIMIT_MEMLOCK', 'Max locked memory'],
  msgqueue: ['RLIMIT_MSGQUEUE', 'Max msgqueue size'],
  nice: ['RLIMIT_NICE', 'Max nice priority'],
  nofile: ['RLIMIT_NOFILE', 'Max open files'],
  nproc: ['RLIMIT_NPROC', 'Max processes'],
  rss: ['RLIMIT_RSS', 'Max resident set'],
  rtprio: ['RLIMIT_RTPRIO', 'Max realtime priority'],
  rttime: ['RLIMIT_RTTIME', 'Max realtime timeout'],
  sigpending: ['RLIMIT_SIGPENDING', 'Max pending signals'],
  stack: ['RLIMIT_STACK', 'Max stack size'],
  as: ['RLIMIT_AS', 'Max address space'],
};

/** RLIM_INFINITY as runc expects it in JSON (uint64 max; JSON numbers lose precision, runc accepts 2^64-1 rounded). */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/**
 * config.json text for runc: JSON numbers cannot carry RLIM_INFINITY (2^64-1) through a JS
 * number, so the rlimits' stand-in (MAX_SAFE_INTEGER) is written as the exact uint64 runc
 * reads as "unlimited" (`ulimit -l` then says unlimited, as under docker).
 */
export function runtimeSpecJson(spec: unknown): string {
  return JSON.stringify(spec).replace(/("(?:soft|hard)":)9007199254740991(?=[,}])/g, '$118446744073709551615');
}

/** Whether this process may raise hard limits (CAP_SYS_RESOURCE in /proc/self/status CapEff). */
export function hasCapSysResource(statusText?: string): boolean {
  let text = statusText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/status', 'utf8');
    } catch {
      return false;
    }
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  return m ? ((BigInt('0x' + m[1]) >> 24n) & 1n) === 1n : false;
}

/**
 * The hard limits runc can give a container, by docker ulimit name (unlimited →
 * MAX_SAFE_INTEGER): the daemon's own, unless it holds CAP_SYS_RESOURCE (a root daemon on a
 * normal host), which may raise any of them (as dockerd does for `--ulimit memlock=-1`) up to
 * the kernel's fs.nr_open for open files.
 */
export function daemonHardLimits(limitsText?: string, canRaise = limitsText === undefined && hasCapSysResource(), nrOpenText?: string): Record<string, number> {
  let text = limitsText;
  if (canRaise) {
    let nr = nrOpenText;
    try {
      nr ??= fs.readFileSync('/proc/sys/fs/nr_open', 'utf8');
    } catch { /* unknown */ }
    return { nofile: parseInt(nr ?? '', 10) || UNLIMITED };
  }
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      text = '';
    }
  }
  const out: Record<string, number> = {};
  for (const [name, [, label]] of Object.entries(ULIMITS)) {
    const line = text.split('\n').find((l) => l.startsWith(label));
    if (!line) continue;
    const cols = line.slice(label.length).trim().split(/\s+/);
    const hard = cols[1];
    out[name] = hard === undefined || hard === 'unlimited' ? UNLIMITED : parseInt(hard, 10);
  }
  return out;
}

/** Validates ulimits (400 on unknown name or soft > hard) and clamps them to the daemon's hard limits. */
export function buildRlimits(ulimits: readonly Ulimit[] | undefined, hardLimits = daemonHardLimits()): RlimitSpec[] {
  const out: RlimitSpec[] = [];
  for (const u of ulimits ?? []) {
    const def = ULIMITS[u.Name];
    if (!def) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
    const norm = (v: number) => (v < 0 ? UNLIMITED : v);
    let soft = norm(u.Soft);
    let hard = norm(u.Hard);
    if (soft > hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    const cap = hardLimits[u.Name] ?? UNLIMITED;
    hard = Math.min(hard, cap);
    soft = Math.min(soft, hard);
    out.push({ type: def[0], hard, soft });
  }
  return out;
}
