/**
 * CRI containers: CreateContainer / StartContainer / StopContainer / RemoveContainer /
 * ListContainers / ContainerStatus / UpdateContainerResources / ReopenContainerLog / ExecSync.
 * A container joins its sandbox's network and IPC namespaces (and its PID namespace when the
 * pod shares one) through the engine's `container:<id>` modes, writes its log in the CRI
 * format at the path kubelet gives, and carries kubelet's labels.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../common/errors.ts';
import type { ContainerRecord } from '../engine/containers/index.ts';
import type { CriDeps } from './deps.ts';
import { criRecord, criRecords, findCriRecord } from './records.ts';
import { containerName, matchesSelector, nanos, nowNanos, recordLabels, stateOf, SANDBOX_LABEL, type ContainerState } from './meta.ts';
import { removeQuietly, sandboxFor, stopQuietly } from './sandbox.ts';
import { seccompOpt } from './security.ts';

interface KeyValue { key?: string; value?: string }
interface Int64Value { value?: string | number }

export interface LinuxResources {
  cpu_period?: string; cpu_quota?: string; cpu_shares?: string; memory_limit_in_bytes?: string; oom_score_adj?: string;
  cpuset_cpus?: string; cpuset_mems?: string; memory_swap_limit_in_bytes?: string;
}

export interface ContainerConfig {
  metadata?: { name?: string; attempt?: number } | null;
  image?: { image?: string } | null;
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: KeyValue[];
  mounts?: { container_path?: string; host_path?: string; readonly?: boolean; selinux_relabel?: boolean; propagation?: string }[];
  devices?: { container_path?: string; host_path?: string; permissions?: string }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  log_path?: string;
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxResources | null;
    security_context?: {
      capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] } | null;
      privileged?: boolean;
      namespace_options?: { network?: string; pid?: string; ipc?: string; target_id?: string } | null;
      run_as_user?: Int64Value | null;
      run_as_group?: Int64Value | null;
      run_as_username?: string;
      readonly_rootfs?: boolean;
      supplemental_groups?: string[];
      no_new_privs?: boolean;
      masked_paths?: string[];
      readonly_paths?: string[];
      seccomp?: { profile_type?: string; localhost_ref?: string } | null;
      seccomp_profile_path?: string;
    } | null;
  } | null;
}

const PROPAGATION: Record<string, string> = { PROPAGATION_PRIVATE: 'rprivate', PROPAGATION_HOST_TO_CONTAINER: 'rslave', PROPAGATION_BIDIRECTIONAL: 'rshared' };

/** Resources as the engine's HostConfig (`docker update`'s body). */
export function resourcesBody(r: LinuxResources | null | undefined): Record<string, unknown> {
  if (!r) return {};
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  const out: Record<string, unknown> = {};
  if (n(r.cpu_period)) out.CpuPeriod = n(r.cpu_period);
  if (n(r.cpu_quota)) out.CpuQuota = n(r.cpu_quota);
  if (n(r.cpu_shares)) out.CpuShares = n(r.cpu_shares);
  if (n(r.memory_limit_in_bytes)) out.Memory = n(r.memory_limit_in_bytes);
  if (n(r.memory_swap_limit_in_bytes)) out.MemorySwap = n(r.memory_swap_limit_in_bytes);
  if (r.cpuset_cpus) out.CpusetCpus = r.cpuset_cpus;
  if (r.cpuset_mems) out.CpusetMems = r.cpuset_mems;
  return out;
}

function userOf(sc: NonNullable<NonNullable<ContainerConfig['linux']>['security_context']> | null | undefined): string {
  if (!sc) return '';
  if (sc.run_as_group && !sc.run_as_user && !sc.run_as_username) throw new InvalidArgumentError('user group is specified without user or username');
  const group = sc.run_as_group?.value !== undefined && sc.run_as_group !== null ? `:${sc.run_as_group.value}` : '';
  if (sc.run_as_username) return sc.run_as_username + group;
  if (sc.run_as_user && sc.run_as_user.value !== undefined) return `${sc.run_as_user.value}${group}`;
  return '';
}

export async function createContainer(deps: CriDeps, sandboxId: string, config: ContainerConfig | null | undefined): Promise<string> {
  const md = config?.metadata;
  if (!config || !md?.name) throw new InvalidArgumentError('container config must carry metadata with a name');
  const imageName = config.image?.image;
  if (!imageName) throw new InvalidArgumentError('container config must name an image');
  const pod = sandboxFor(deps, sandboxId);
  let image: { id: string };
  try {
    image = deps.images.resolve(imageName);
  } catch {
    throw new NotFoundError(`image "${imageName}" not present on this node: pull it first`);
  }
  const logPath = config.log_path && pod.state.logDirectory ? path.join(pod.state.logDirectory, config.log_path) : config.log_path && path.isAbsolute(config.log_path) ? config.log_path : '';
  if (logPath) fs.mkdirSync(path.dirname(logPath), { recursive: true, mode: 0o755 });
  // As containerd's CRI: a host path that does not exist yet is made as a directory.
  for (const m of config.mounts ?? []) {
    if (!m.host_path || !path.isAbsolute(m.host_path)) throw new InvalidArgumentError(`mount host_path must be an absolute path: ${JSON.stringify(m.host_path ?? '')}`);
    if (!fs.existsSync(m.host_path)) fs.mkdirSync(m.host_path, { recursive: true, mode: 0o755 });
  }
  const mounts = (config.mounts ?? []).map((m) => ({ container_path: m.container_path ?? '', host_path: m.host_path ?? '', readonly: m.readonly === true, selinux_relabel: m.selinux_relabel === true, propagation: m.propagation ?? 'PROPAGATION_PRIVATE' }));
  const state: ContainerState = {
    metadata: { name: md.name, attempt: md.attempt ?? 0 },
    labels: config.labels ?? {},
    annotations: config.annotations ?? {},
    createdAt: nowNanos(),
    image: imageName,
    imageRef: image.id,
    logPath,
    mounts,
  };
  const sc = config.linux?.security_context;
  const ns = sc?.namespace_options;
  const sid = pod.rec.Id;
  const hostNet = pod.state.network === 'NODE';
  const pidMode = pod.state.pid === 'NODE' || ns?.pid === 'NODE' ? 'host' : ns?.pid === 'POD' ? `container:${sid}` : ns?.pid === 'TARGET' && ns.target_id ? `container:${criRecord(deps, 'container', ns.target_id).Id}` : '';
  const securityOpt = [...(sc?.no_new_privs ? ['no-new-privileges'] : []), ...seccompOpt(sc)];
  const body = {
    Image: image.id,
    Entrypoint: config.command?.length ? config.command : null,
    Cmd: config.args?.length ? config.args : null,
    Env: (config.envs ?? []).map((e) => `${e.key ?? ''}=${e.value ?? ''}`),
    WorkingDir: config.working_dir ?? '',
    User: userOf(sc),
    Tty: config.tty === true,
    OpenStdin: config.stdin === true,
    StdinOnce: config.stdin_once === true,
    AttachStdin: false,
    Labels: recordLabels('container', state, sid),
    HostConfig: {
      // kubelet reads the CRI log format (conmon's k8s-file) at the path it gave; none without one.
      LogConfig: { Type: logPath ? 'k8s-file' : 'none', Config: {} },
      NetworkMode: hostNet ? 'host' : `container:${sid}`,
      IpcMode: pod.state.ipc === 'NODE' ? 'host' : `container:${sid}`,
      PidMode: pidMode,
      UTSMode: hostNet ? 'host' : '',
      Mounts: mounts.map((m) => ({ Type: 'bind', Source: m.host_path, Target: m.container_path, ReadOnly: m.readonly, BindOptions: { Propagation: PROPAGATION[m.propagation] ?? 'rprivate' } })),
      Devices: (config.devices ?? []).map((d) => ({ PathOnHost: d.host_path ?? '', PathInContainer: d.container_path ?? d.host_path ?? '', CgroupPermissions: d.permissions || 'rwm' })),
      Privileged: sc?.privileged === true,
      CapAdd: sc?.capabilities?.add_capabilities ?? [],
      CapDrop: sc?.capabilities?.drop_capabilities ?? [],
      ReadonlyRootfs: sc?.readonly_rootfs === true,
      GroupAdd: (sc?.supplemental_groups ?? []).map(String),
      ...(sc?.masked_paths?.length ? { MaskedPaths: sc.masked_paths } : {}),
      ...(sc?.readonly_paths?.length ? { ReadonlyPaths: sc.readonly_paths } : {}),
      SecurityOpt: securityOpt,
      OomScoreAdj: Number(config.linux?.resources?.oom_score_adj ?? 0),
      ...(pod.state.cgroupParent ? { CgroupParent: pod.state.cgroupParent } : {}),
      ...resourcesBody(config.linux?.resources),
    },
  };
  if (!hostNet && pod.state.hostname) (body as Record<string, unknown>).Hostname = pod.state.hostname;
  const { Id } = await deps.containers.create(body, containerName(state.metadata, pod.state.metadata), logPath ? { logPath } : {});
  return Id;
}

export async function startContainer(deps: CriDeps, id: string): Promise<void> {
  const rec = criRecord(deps, 'container', id);
  if (rec.State.Running) return;
  if (rec.HasBeenStarted) throw new InvalidArgumentError(`container ${rec.Id} has already run: a CRI container starts once`);
  await deps.containers.start(rec.Id);
}

export async function stopContainer(deps: CriDeps, id: string, timeout: number): Promise<void> {
  const rec = findCriRecord(deps, 'container', id);
  if (!rec) return;
  await stopQuietly(deps, rec.Id, Math.max(0, timeout));
}

export async function removeContainer(deps: CriDeps, id: string): Promise<void> {
  const rec = findCriRecord(deps, 'container', id);
  if (!rec) return;
  await removeQuietly(deps, rec.Id);
}

export function containerStateName(rec: ContainerRecord): string {
  if (rec.State.Running) return 'CONTAINER_RUNNING';
  if (rec.State.Status === 'created') return 'CONTAINER_CREATED';
  if (rec.State.Status === 'exited' || rec.State.Status === 'dead') return 'CONTAINER_EXITED';
  return 'CONTAINER_UNKNOWN';
}

function summary(rec: ContainerRecord) {
  const s = stateOf<ContainerState>(rec);
  return {
    id: rec.Id, pod_sandbox_id: rec.Config.Labels[SANDBOX_LABEL] ?? '', metadata: s.metadata, image: { image: s.image }, image_ref: s.imageRef,
    state: containerStateName(rec), created_at: s.createdAt ?? nanos(rec.Created), labels: s.labels, annotations: s.annotations,
  };
}

export function listContainers(deps: CriDeps, filter: { id?: string; state?: { state?: string } | null; pod_sandbox_id?: string; label_selector?: Record<string, string> } | null | undefined) {
  return criRecords(deps, 'container')
    .filter((r) => !filter?.id || r.Id.startsWith(filter.id))
    .filter((r) => !filter?.pod_sandbox_id || (r.Config.Labels[SANDBOX_LABEL] ?? '').startsWith(filter.pod_sandbox_id))
    .filter((r) => !filter?.state || containerStateName(r) === filter.state.state)
    .map(summary)
    .filter((s) => matchesSelector(s.labels, filter?.label_selector));
}

export function containerStatus(deps: CriDeps, id: string, verbose: boolean) {
  const rec = criRecord(deps, 'container', id);
  const s = stateOf<ContainerState>(rec);
  const st = containerStateName(rec);
  const exited = st === 'CONTAINER_EXITED';
  const reason = !exited ? '' : rec.State.OOMKilled ? 'OOMKilled' : rec.State.ExitCode === 0 ? 'Completed' : 'Error';
  const status = {
    ...summary(rec),
    started_at: rec.HasBeenStarted ? nanos(rec.State.StartedAt) : '0',
    finished_at: exited ? nanos(rec.State.FinishedAt) : '0',
    exit_code: exited ? rec.State.ExitCode : 0,
    reason,
    message: exited ? rec.State.Error : '',
    mounts: s.mounts,
    log_path: s.logPath,
  };
  const info: Record<string, string> = verbose ? { info: JSON.stringify({ pid: rec.State.Pid, sandboxID: rec.Config.Labels[SANDBOX_LABEL], runtimeSpec: { args: [rec.Path, ...rec.Args] } }) } : {};
  return { status, info };
}

export async function updateContainerResources(deps: CriDeps, id: string, r: LinuxResources | null | undefined): Promise<void> {
  const rec = criRecord(deps, 'container', id);
  const body = resourcesBody(r);
  if (Object.keys(body).length) await deps.update(rec.Id, body);
}

export async function reopenContainerLog(deps: CriDeps, id: string): Promise<void> {
  const rec = criRecord(deps, 'container', id);
  if (!rec.State.Running) throw new InvalidArgumentError(`container ${rec.Id} is not running`);
  await deps.containers.reopenLog(rec.Id);
  // conmon reopens when it reads the request: kubelet (and critest) expect the file back once this returns.
  const logPath = stateOf<ContainerState>(rec).logPath || rec.LogPath;
  for (let i = 0; i < 40 && !fs.existsSync(logPath); i++) await new Promise((r) => setTimeout(r, 25));
  if (!fs.existsSync(logPath)) fs.writeFileSync(logPath, '', { flag: 'a' });
}

export async function execSync(deps: CriDeps, id: string, cmd: string[], timeoutSec: number) {
  const rec = criRecord(deps, 'container', id);
  if (!cmd?.length) throw new InvalidArgumentError('ExecSync needs a command');
  if (!rec.State.Running) throw new InvalidArgumentError(`container ${rec.Id} is not running`);
  // Both streams together stay within kubelet's 16 MiB gRPC message limit.
  const r = await deps.containers.execs.runSync(rec.Id, cmd, { timeoutMs: timeoutSec > 0 ? timeoutSec * 1000 : 0, maxOutput: 7 << 20 });
  if (r.timedOut) throw new TimeoutError(`command ${JSON.stringify(cmd)} timed out after ${timeoutSec}s`);
  return { stdout: r.stdout, stderr: r.stderr, exit_code: r.exitCode };
}

export class TimeoutError extends Error {}

export { criRecords };
