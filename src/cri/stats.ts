/**
 * ContainerStats / ListContainerStats / PodSandboxStats / ListPodSandboxStats from the engine's
 * cgroup counters (the same sample `docker stats` shows). A container that does not run has
 * its attributes and zero counters at the current time, as containerd answers.
 */
import type { ContainerRecord } from '../engine/containers/index.ts';
import type { CriDeps } from './deps.ts';
import { criRecord, criRecords } from './records.ts';
import { matchesSelector, nowNanos, stateOf, SANDBOX_LABEL, type ContainerState, type SandboxState } from './meta.ts';

const u64 = (n: number | undefined) => ({ value: String(Math.max(0, Math.round(n ?? 0))) });

async function usage(deps: CriDeps, rec: ContainerRecord) {
  const ts = nowNanos();
  const s = rec.State.Running ? await deps.stats(rec.Id).catch(() => undefined) : undefined;
  const mem = s?.memory_stats;
  const inactive = mem?.stats?.total_inactive_file ?? mem?.stats?.inactive_file ?? 0;
  const working = Math.max(0, (mem?.usage ?? 0) - inactive);
  return {
    cpu: { timestamp: ts, usage_core_nano_seconds: u64(s?.cpu_stats?.cpu_usage?.total_usage), usage_nano_cores: u64(0) },
    memory: {
      timestamp: ts, working_set_bytes: u64(working), usage_bytes: u64(mem?.usage), rss_bytes: u64(mem?.stats?.total_rss ?? mem?.stats?.rss ?? mem?.stats?.anon),
      available_bytes: u64(mem?.limit && mem.limit < 2 ** 60 ? mem.limit - working : 0), page_faults: u64(mem?.stats?.pgfault), major_page_faults: u64(mem?.stats?.pgmajfault),
    },
    ts,
  };
}

export async function containerStats(deps: CriDeps, rec: ContainerRecord) {
  const s = stateOf<ContainerState>(rec);
  const u = await usage(deps, rec);
  return {
    attributes: { id: rec.Id, metadata: s.metadata, labels: s.labels, annotations: s.annotations },
    cpu: u.cpu,
    memory: u.memory,
    writable_layer: { timestamp: u.ts, fs_id: { mountpoint: deps.imageFsPath }, used_bytes: u64(deps.writableLayerBytes?.(rec.Id)), inodes_used: u64(0) },
  };
}

export async function listContainerStats(deps: CriDeps, filter: { id?: string; pod_sandbox_id?: string; label_selector?: Record<string, string> } | null | undefined) {
  const recs = criRecords(deps, 'container')
    .filter((r) => !filter?.id || r.Id.startsWith(filter.id))
    .filter((r) => !filter?.pod_sandbox_id || (r.Config.Labels[SANDBOX_LABEL] ?? '').startsWith(filter.pod_sandbox_id))
    .filter((r) => matchesSelector(stateOf<ContainerState>(r).labels, filter?.label_selector));
  return Promise.all(recs.map((r) => containerStats(deps, r)));
}

export async function podSandboxStats(deps: CriDeps, rec: ContainerRecord) {
  const s = stateOf<SandboxState>(rec);
  const members = criRecords(deps, 'container').filter((c) => c.Config.Labels[SANDBOX_LABEL] === rec.Id);
  const containers = await Promise.all(members.map((c) => containerStats(deps, c)));
  const own = await usage(deps, rec);
  const sum = (f: (c: (typeof containers)[number]) => { value: string }) => ({ value: String(containers.reduce((n, c) => n + Number(f(c).value), 0)) });
  return {
    attributes: { id: rec.Id, metadata: s.metadata, labels: s.labels, annotations: s.annotations },
    linux: {
      cpu: { timestamp: own.ts, usage_core_nano_seconds: { value: String(Number(own.cpu.usage_core_nano_seconds.value) + Number(sum((c) => c.cpu.usage_core_nano_seconds).value)) }, usage_nano_cores: u64(0) },
      memory: { ...own.memory, working_set_bytes: { value: String(Number(own.memory.working_set_bytes.value) + Number(sum((c) => c.memory.working_set_bytes).value)) } },
      network: null,
      process: { timestamp: own.ts, process_count: u64(0) },
      containers,
    },
  };
}

export async function listPodSandboxStats(deps: CriDeps, filter: { id?: string; label_selector?: Record<string, string> } | null | undefined) {
  const recs = criRecords(deps, 'sandbox')
    .filter((r) => !filter?.id || r.Id.startsWith(filter.id))
    .filter((r) => matchesSelector(stateOf<SandboxState>(r).labels, filter?.label_selector));
  return Promise.all(recs.map((r) => podSandboxStats(deps, r)));
}

export { criRecord };
