/**
 * `POST /containers/{id}/update`: validates docker's resource fields, applies them to a
 * running container by writing its cgroup files (v1: memory.limit_in_bytes,
 * memory.memsw.limit_in_bytes, cpu.cfs_quota_us/cpu.cfs_period_us, cpu.shares, pids.max,
 * cpuset.*; v2: memory.max, memory.swap.max, cpu.max, cpu.weight, pids.max), and returns the
 * new HostConfig fields for the caller to persist (they also shape the next start's spec).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, SystemError } from '../../../common/errors.ts';
import type { HostConfig } from '../record.ts';
import type { CgroupDirs } from '../../../common/cgroups.ts';
import { checkCpuCfs, checkCpuset, isInt64 } from '../validate.ts';

export interface UpdateRequest {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number;
  BlkioWeight?: number;
  KernelMemory?: number;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
}

const MIN_MEMORY = 6 * 1024 * 1024;
const POLICIES = new Set(['', 'no', 'always', 'on-failure', 'unless-stopped']);

function int(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field UpdateConfig.${name} of type int64`);
  if (!isInt64(v)) throw new InvalidArgumentError(`json: cannot unmarshal number ${v} into Go struct field UpdateConfig.${name} of type int64`);
  return v;
}

/** The HostConfig after the update (only the fields the body set change). Throws docker's 400s. */
export function planUpdate(hc: HostConfig, body: unknown): { next: HostConfig; changed: UpdateRequest } {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('invalid JSON body for container update');
  const b = body as Record<string, unknown>;
  const req: UpdateRequest = {};
  for (const k of ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'BlkioWeight', 'KernelMemory'] as const) {
    const v = int(b[k], k);
    if (v !== undefined && v !== 0) req[k] = v;
  }
  if (b.PidsLimit !== undefined && b.PidsLimit !== null) req.PidsLimit = int(b.PidsLimit, 'PidsLimit')!;
  if (typeof b.CpusetCpus === 'string' && b.CpusetCpus !== '') req.CpusetCpus = b.CpusetCpus;
  if (typeof b.CpusetMems === 'string' && b.CpusetMems !== '') req.CpusetMems = b.CpusetMems;
  if (req.CpusetCpus) checkCpuset('CPUs', req.CpusetCpus);
  if (req.CpusetMems) checkCpuset('Memory nodes', req.CpusetMems);
  const rp = b.RestartPolicy as UpdateRequest['RestartPolicy'] | undefined;
  if (rp && typeof rp === 'object' && (rp.Name !== undefined && rp.Name !== '' || rp.MaximumRetryCount)) req.RestartPolicy = rp;

  if (req.NanoCpus !== undefined && (req.CpuPeriod !== undefined || req.CpuQuota !== undefined || hc.CpuQuota > 0)) {
    throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if ((req.CpuQuota !== undefined || req.CpuPeriod !== undefined) && hc.NanoCpus > 0 && req.NanoCpus === undefined) {
    throw new InvalidArgumentError('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  }
  if (req.NanoCpus !== undefined && (req.NanoCpus < 0 || req.NanoCpus > os_cpus() * 1e9)) {
    throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${os_cpus()}.00, as there are only ${os_cpus()} CPUs available`);
  }
  if (req.CpuPeriod !== undefined || req.CpuQuota !== undefined) checkCpuCfs(req.CpuPeriod ?? 0, req.CpuQuota ?? 0);
  if (req.Memory !== undefined && req.Memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  const memory = req.Memory ?? hc.Memory;
  if (req.MemorySwap !== undefined && req.MemorySwap !== -1) {
    if (memory === 0) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit');
    if (req.MemorySwap < memory) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (req.Memory !== undefined && req.MemorySwap === undefined && hc.MemorySwap > 0 && req.Memory > hc.MemorySwap) {
    throw new InvalidArgumentError('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  if (req.RestartPolicy) {
    const name = req.RestartPolicy.Name ?? '';
    if (!POLICIES.has(name)) throw new InvalidArgumentError(`invalid restart policy '${name}'`);
    if (hc.AutoRemove && name !== '' && name !== 'no') throw new InvalidArgumentError('Restart policy cannot be updated because AutoRemove is enabled for the container');
    if (name !== 'on-failure' && req.RestartPolicy.MaximumRetryCount) throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }

  const next: HostConfig = { ...hc };
  if (req.Memory !== undefined) next.Memory = req.Memory;
  if (req.MemorySwap !== undefined) next.MemorySwap = req.MemorySwap;
  if (req.MemoryReservation !== undefined) next.MemoryReservation = req.MemoryReservation;
  if (req.NanoCpus !== undefined) { next.NanoCpus = req.NanoCpus; next.CpuQuota = 0; next.CpuPeriod = 0; }
  if (req.CpuShares !== undefined) next.CpuShares = req.CpuShares;
  if (req.CpuPeriod !== undefined) next.CpuPeriod = req.CpuPeriod;
  if (req.CpuQuota !== undefined) next.CpuQuota = req.CpuQuota;
  if (req.CpusetCpus !== undefined) next.CpusetCpus = req.CpusetCpus;
  if (req.CpusetMems !== undefined) next.CpusetMems = req.CpusetMems;
  if (req.PidsLimit !== undefined) next.PidsLimit = req.PidsLimit <= 0 ? 0 : req.PidsLimit;
  if (req.BlkioWeight !== undefined) next.BlkioWeight = req.BlkioWeight;
  if (req.RestartPolicy) next.RestartPolicy = { Name: (req.RestartPolicy.Name ?? '') as HostConfig['RestartPolicy']['Name'], MaximumRetryCount: req.RestartPolicy.MaximumRetryCount ?? 0 };
  return { next, changed: req };
}

function os_cpus(): number {
  return Math.max(1, fs.readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d+ /.test(l)).length);
}

function write(dir: string | undefined, file: string, value: string): void {
  if (!dir) throw new SystemError(`cgroup controller for ${file} is not available`);
  try {
    fs.writeFileSync(path.join(dir, file), value);
  } catch (err) {
    const msg = `Cannot update container: failed to write ${JSON.stringify(value)} to ${file}: ${(err as Error).message}`;
    // The kernel refusing a value (EINVAL, ERANGE) refuses what the client asked for: a 400.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ERANGE') throw new InvalidArgumentError(msg);
    throw new SystemError(msg);
  }
}

function readNum(dir: string | undefined, file: string): number {
  try {
    return Number(fs.readFileSync(path.join(dir!, file), 'utf8').trim());
  } catch {
    return NaN;
  }
}

/** Writes the changed limits into a running container's cgroup. */
export function applyToCgroup(d: CgroupDirs, hc: HostConfig, req: UpdateRequest): void {
  if (d.version === 1) {
    const at = (c: keyof typeof d.dirs) => d.dirs[c];
    const mem = at('memory');
    if (req.Memory !== undefined || req.MemorySwap !== undefined) {
      const limit = hc.Memory > 0 ? hc.Memory : -1;
      // Our create semantics: swap unset = twice the memory.
      const swap = hc.MemorySwap === -1 ? -1 : hc.MemorySwap > 0 ? hc.MemorySwap : limit > 0 ? limit * 2 : -1;
      const hasSwap = mem !== undefined && fs.existsSync(path.join(mem, 'memory.memsw.limit_in_bytes'));
      const curSwap = readNum(mem, 'memory.memsw.limit_in_bytes');
      // memory ≤ memsw at every step: raise memsw first when growing, lower memory first when shrinking.
      const swapFirst = hasSwap && (swap === -1 || limit === -1 || !(limit <= curSwap));
      if (swapFirst) write(mem, 'memory.memsw.limit_in_bytes', String(swap));
      write(mem, 'memory.limit_in_bytes', String(limit));
      if (hasSwap && !swapFirst) write(mem, 'memory.memsw.limit_in_bytes', String(swap));
    }
    if (req.MemoryReservation !== undefined) write(mem, 'memory.soft_limit_in_bytes', String(hc.MemoryReservation));
    const cpu = at('cpu');
    if (req.NanoCpus !== undefined) {
      write(cpu, 'cpu.cfs_period_us', '100000');
      write(cpu, 'cpu.cfs_quota_us', String(Math.round((hc.NanoCpus * 100000) / 1e9)));
    }
    if (req.CpuPeriod !== undefined) write(cpu, 'cpu.cfs_period_us', String(hc.CpuPeriod));
    if (req.CpuQuota !== undefined) write(cpu, 'cpu.cfs_quota_us', String(hc.CpuQuota));
    if (req.CpuShares !== undefined) write(cpu, 'cpu.shares', String(hc.CpuShares));
    if (req.PidsLimit !== undefined) write(at('pids'), 'pids.max', hc.PidsLimit && hc.PidsLimit > 0 ? String(hc.PidsLimit) : 'max');
    if (req.CpusetCpus !== undefined) write(at('cpuset'), 'cpuset.cpus', hc.CpusetCpus);
    if (req.CpusetMems !== undefined) write(at('cpuset'), 'cpuset.mems', hc.CpusetMems);
    if (req.BlkioWeight !== undefined && at('blkio') && fs.existsSync(path.join(at('blkio')!, 'blkio.weight'))) write(at('blkio'), 'blkio.weight', String(hc.BlkioWeight));
    return;
  }
  const dir = d.dir;
  if (req.Memory !== undefined || req.MemorySwap !== undefined) {
    write(dir, 'memory.max', hc.Memory > 0 ? String(hc.Memory) : 'max');
    if (fs.existsSync(path.join(dir, 'memory.swap.max'))) {
      const swap = hc.MemorySwap === -1 || hc.Memory <= 0 ? 'max' : String((hc.MemorySwap > 0 ? hc.MemorySwap : hc.Memory * 2) - hc.Memory);
      write(dir, 'memory.swap.max', swap);
    }
  }
  if (req.MemoryReservation !== undefined) write(dir, 'memory.low', String(hc.MemoryReservation));
  if (req.NanoCpus !== undefined) write(dir, 'cpu.max', `${Math.round((hc.NanoCpus * 100000) / 1e9)} 100000`);
  if (req.CpuQuota !== undefined || req.CpuPeriod !== undefined) write(dir, 'cpu.max', `${hc.CpuQuota > 0 ? hc.CpuQuota : 'max'} ${hc.CpuPeriod || 100000}`);
  // cgroup v2 weight from v1 shares (runc's conversion).
  if (req.CpuShares !== undefined) write(dir, 'cpu.weight', String(Math.round(1 + ((hc.CpuShares - 2) * 9999) / 262142)));
  if (req.PidsLimit !== undefined) write(dir, 'pids.max', hc.PidsLimit && hc.PidsLimit > 0 ? String(hc.PidsLimit) : 'max');
  if (req.CpusetCpus !== undefined) write(dir, 'cpuset.cpus', hc.CpusetCpus);
  if (req.CpusetMems !== undefined) write(dir, 'cpuset.mems', hc.CpusetMems);
}
