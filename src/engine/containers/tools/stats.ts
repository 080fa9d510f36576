/**
 * `GET /containers/{id}/stats`: docker's stats JSON (types.StatsJSON) from the container's
 * cgroup (v1 or v2, see cgroups.ts), /proc/stat and the init's /proc/<pid>/net/dev.
 *   stream=true  → one object per second, each with the previous sample as precpu_stats
 *   stream=false → one object after two samples a second apart (precpu filled, CPU % works)
 *   one-shot     → with stream=false: one object at once, precpu_stats empty
 * A container that is not running reports zeros (docker does the same).
 */
import fs from 'node:fs';
import os from 'node:os';
import type { CgroupSample } from './cgroups.ts';

export interface StatsSource {
  id: string;
  /** With the leading slash. */
  name: string;
  /** Init pid whose /proc/<pid>/net/dev has the container's interfaces; 0 = none (stopped, host network). */
  netPid(): number;
  /** The cgroup counters now; undefined when not running. */
  sample(): CgroupSample | undefined;
}

export interface NetDev { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }

/** /proc/<pid>/net/dev text → interface table (loopback left out, as docker does). */
export function parseNetDev(text: string): Record<string, NetDev> {
  const out: Record<string, NetDev> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (name === 'lo') continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    out[name] = { rx_bytes: f[0] ?? 0, rx_packets: f[1] ?? 0, rx_errors: f[2] ?? 0, rx_dropped: f[3] ?? 0, tx_bytes: f[8] ?? 0, tx_packets: f[9] ?? 0, tx_errors: f[10] ?? 0, tx_dropped: f[11] ?? 0 };
  }
  return out;
}

/** /proc/stat → host CPU time in ns (all fields of the `cpu` line) and the online CPU count. */
export function parseProcStat(text: string): { systemNs: number; onlineCpus: number } {
  let systemNs = 0;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      const ticks = line.slice(4).trim().split(/\s+/).slice(0, 8).reduce((a, b) => a + Number(b), 0);
      systemNs = ticks * (1e9 / 100);
    } else if (/^cpu\d+ /.test(line)) {
      onlineCpus++;
    }
  }
  return { systemNs, onlineCpus };
}

export interface Taken { at: Date; cg?: CgroupSample; systemNs: number; onlineCpus: number; net?: Record<string, NetDev> }

function take(src: StatsSource): Taken {
  const at = new Date();
  const cg = src.sample();
  const { systemNs, onlineCpus } = parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  let net: Record<string, NetDev> | undefined;
  const pid = src.netPid();
  if (cg && pid > 0) {
    try {
      net = parseNetDev(fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8'));
      if (Object.keys(net).length === 0) net = undefined;
    } catch {
      net = undefined;
    }
  }
  return { at, cg, systemNs, onlineCpus, net };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(t: Taken | undefined): Record<string, unknown> {
  const cg = t?.cg;
  if (!t || !cg) return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  const usage: Record<string, unknown> = { total_usage: cg.cpuTotal, usage_in_kernelmode: cg.cpuKernel, usage_in_usermode: cg.cpuUser };
  if (cg.percpu && cg.percpu.length > 0) usage.percpu_usage = cg.percpu;
  return { cpu_usage: usage, system_cpu_usage: t.systemNs, online_cpus: t.onlineCpus, throttling_data: cg.throttling };
}

/** The stats object docker clients read, from the current and previous samples. */
export function statsJson(src: { id: string; name: string }, cur: Taken | undefined, pre: Taken | undefined): Record<string, unknown> {
  const cg = cur?.cg;
  const out: Record<string, unknown> = {
    name: src.name,
    id: src.id,
    read: cur?.cg ? cur.at.toISOString() : ZERO_TIME,
    preread: pre?.cg ? pre.at.toISOString() : ZERO_TIME,
    pids_stats: cg ? { current: cg.pidsCurrent, ...(cg.pidsLimit !== undefined ? { limit: cg.pidsLimit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: cg ? cg.ioBytes : null, io_serviced_recursive: cg ? cg.ioServiced : null,
      io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(pre),
    memory_stats: {},
  };
  if (cg) {
    // Unlimited memory shows as the host's memory, as docker does.
    const limit = Number.isFinite(cg.memLimit) && cg.memLimit < os.totalmem() ? cg.memLimit : os.totalmem();
    const mem: Record<string, unknown> = { usage: cg.memUsage, stats: cg.memStats, limit };
    if (cg.memMaxUsage !== undefined) mem.max_usage = cg.memMaxUsage;
    if (cg.memFailcnt !== undefined) mem.failcnt = cg.memFailcnt;
    out.memory_stats = mem;
  }
  if (cur?.net) out.networks = cur.net;
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface StatsWriter { write(b: Buffer | string): boolean; writableEnded?: boolean }

/** Writes stats objects (one JSON per line) until done or the client goes away. */
export async function streamStats(src: StatsSource, stream: boolean, oneShot: boolean, out: StatsWriter, signal: AbortSignal, intervalMs = 1000): Promise<void> {
  if (!stream && oneShot) {
    out.write(JSON.stringify(statsJson(src, take(src), undefined)) + '\n');
    return;
  }
  let pre = take(src);
  if (!stream) {
    if (pre.cg) await sleep(intervalMs, signal);
    if (signal.aborted) return;
    const cur = take(src);
    out.write(JSON.stringify(statsJson(src, cur, pre.cg ? pre : undefined)) + '\n');
    return;
  }
  out.write(JSON.stringify(statsJson(src, pre, undefined)) + '\n');
  while (!signal.aborted && !out.writableEnded) {
    await sleep(intervalMs, signal);
    if (signal.aborted) return;
    const cur = take(src);
    out.write(JSON.stringify(statsJson(src, cur, pre)) + '\n');
    pre = cur;
  }
}
