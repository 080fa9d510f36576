/**
 * Pod sandboxes: RunPodSandbox / StopPodSandbox / RemovePodSandbox / PodSandboxStatus /
 * ListPodSandbox. A sandbox is a container running `catatonit -P` (pause.ts) that holds the
 * pod's network, IPC and (when shared) PID namespaces; the pod's containers join them
 * (`container:<sandbox>` modes, containers.ts). Its network is wharf's default bridge (pod IP,
 * port mappings as published ports) or the host's; DNS, hostname and sysctls are set on it.
 */
import fs from 'node:fs';
import { InvalidArgumentError, NotModifiedError } from '../common/errors.ts';
import type { ContainerRecord } from '../engine/containers/index.ts';
import type { CriDeps } from './deps.ts';
import { ensurePauseImage } from './pause.ts';
import { seccompOpt } from './security.ts';
import { criRecord, criRecords, findCriRecord } from './records.ts';
import { SANDBOX_LABEL, matchesSelector, nanos, nowNanos, recordLabels, sandboxName, stateOf, type SandboxState } from './meta.ts';

type NsMode = SandboxState['pid'];

export interface PodSandboxConfig {
  metadata?: { name?: string; uid?: string; namespace?: string; attempt?: number } | null;
  hostname?: string;
  log_directory?: string;
  dns_config?: { servers?: string[]; searches?: string[]; options?: string[] } | null;
  port_mappings?: { protocol?: string; container_port?: number; host_port?: number; host_ip?: string }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroup_parent?: string;
    sysctls?: Record<string, string>;
    security_context?: {
      namespace_options?: { network?: NsMode; pid?: NsMode; ipc?: NsMode; target_id?: string; userns_options?: { mode?: string } | null } | null;
      privileged?: boolean;
      readonly_rootfs?: boolean;
      supplemental_groups?: string[];
      run_as_user?: { value?: string } | null;
      run_as_group?: { value?: string } | null;
      seccomp?: { profile_type?: string; localhost_ref?: string } | null;
      seccomp_profile_path?: string;
    } | null;
  } | null;
}

export async function runPodSandbox(deps: CriDeps, config: PodSandboxConfig | null | undefined, runtimeHandler: string): Promise<string> {
  const md = config?.metadata;
  if (!config || !md?.name || !md.namespace) throw new InvalidArgumentError('pod sandbox config must carry metadata with a name and a namespace');
  if (runtimeHandler && runtimeHandler !== 'runc') throw new InvalidArgumentError(`runtime handler "${runtimeHandler}" is not supported (wharf runs runc)`);
  const ns = config.linux?.security_context?.namespace_options;
  // Running a pod that asked for its own user namespace as root on the host would be worse than refusing it.
  if (ns?.userns_options?.mode === 'POD') throw new InvalidArgumentError('user namespaces for pods are not supported by wharf');
  const state: SandboxState = {
    metadata: { name: md.name, uid: md.uid ?? '', namespace: md.namespace, attempt: md.attempt ?? 0 },
    labels: config.labels ?? {},
    annotations: config.annotations ?? {},
    createdAt: nowNanos(),
    runtimeHandler: runtimeHandler || '',
    logDirectory: config.log_directory ?? '',
    cgroupParent: config.linux?.cgroup_parent ?? '',
    hostname: config.hostname ?? '',
    network: ns?.network === 'NODE' ? 'NODE' : 'POD',
    pid: ns?.pid ?? 'CONTAINER',
    ipc: ns?.ipc === 'NODE' ? 'NODE' : 'POD',
    ports: (config.port_mappings ?? []).map((p) => ({ protocol: p.protocol ?? 'TCP', container_port: p.container_port ?? 0, host_port: p.host_port ?? 0, host_ip: p.host_ip ?? '' })),
  };
  if (state.logDirectory) fs.mkdirSync(state.logDirectory, { recursive: true, mode: 0o755 });
  const hostNet = state.network === 'NODE';
  state.cni = !hostNet && deps.cni?.configured() === true;
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const exposed: Record<string, object> = {};
  if (!hostNet && !state.cni) {
    for (const p of state.ports) {
      if (!p.container_port) continue;
      const key = `${p.container_port}/${p.protocol.toLowerCase()}`;
      exposed[key] = {};
      if (p.host_port > 0) (portBindings[key] ??= []).push({ HostIp: p.host_ip, HostPort: String(p.host_port) });
    }
  }
  const sc = config.linux?.security_context;
  const image = await ensurePauseImage(deps.images);
  const body = {
    Image: image,
    Hostname: hostNet ? '' : state.hostname,
    // The pod's user and seccomp apply to its pause process too (containerd does the same).
    User: sc?.run_as_user ? `${sc.run_as_user.value ?? 0}${sc.run_as_group ? `:${sc.run_as_group.value ?? 0}` : ''}` : '',
    Labels: recordLabels('sandbox', state),
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: hostNet ? 'host' : !state.cni && deps.bridgeReady() ? 'bridge' : 'none',
      PortBindings: portBindings,
      IpcMode: state.ipc === 'NODE' ? 'host' : 'shareable',
      PidMode: state.pid === 'NODE' ? 'host' : '',
      Dns: config.dns_config?.servers ?? [],
      DnsSearch: config.dns_config?.searches ?? [],
      DnsOptions: config.dns_config?.options ?? [],
      Sysctls: config.linux?.sysctls ?? {},
      Privileged: sc?.privileged === true,
      ReadonlyRootfs: sc?.readonly_rootfs === true,
      GroupAdd: sc?.supplemental_groups?.map(String) ?? [],
      SecurityOpt: seccompOpt(sc),
      ...(state.cgroupParent ? { CgroupParent: state.cgroupParent } : {}),
    },
  };
  const { Id } = await deps.containers.create(body, sandboxName(state.metadata));
  try {
    await deps.containers.start(Id);
    if (state.cni) await deps.cni!.setUp(Id, `/proc/${deps.containers.record(Id).State.Pid}/ns/net`, cniMeta(state));
  } catch (err) {
    await deps.containers.remove(Id, { force: true }).catch(() => undefined);
    throw err;
  }
  return Id;
}

const cniMeta = (s: SandboxState) => ({
  name: s.metadata.name, namespace: s.metadata.namespace, uid: s.metadata.uid,
  portMappings: s.ports.map((p) => ({ protocol: p.protocol, containerPort: p.container_port, hostPort: p.host_port, hostIp: p.host_ip })),
});

/** CNI DEL while the namespace is there (at stop), or without it (a sandbox that died, at remove). */
async function tearDownCni(deps: CriDeps, rec: ContainerRecord): Promise<void> {
  const s = stateOf<SandboxState>(rec);
  if (!s.cni || !deps.cni?.has(rec.Id)) return;
  const netns = rec.State.Running && rec.State.Pid ? `/proc/${rec.State.Pid}/ns/net` : '';
  await deps.cni.tearDown(rec.Id, netns, cniMeta(s));
}

/** Stops the pod's containers (at once), then its sandbox; a stopped or missing sandbox is fine. */
export async function stopPodSandbox(deps: CriDeps, id: string): Promise<void> {
  const rec = findCriRecord(deps, 'sandbox', id);
  if (!rec) return;
  for (const c of podContainers(deps, rec.Id)) await stopQuietly(deps, c.Id, 0);
  await tearDownCni(deps, deps.containers.record(rec.Id));
  await stopQuietly(deps, rec.Id, 0);
}

export async function stopQuietly(deps: CriDeps, id: string, timeout: number): Promise<void> {
  try {
    if (!deps.containers.record(id).State.Running) return;
    await deps.containers.stop(id, timeout);
  } catch (err) {
    if (err instanceof NotModifiedError || /No such container|is not running/.test((err as Error).message)) return;
    throw err;
  }
}

export async function removePodSandbox(deps: CriDeps, id: string): Promise<void> {
  const rec = findCriRecord(deps, 'sandbox', id);
  if (!rec) return;
  for (const c of podContainers(deps, rec.Id)) await removeQuietly(deps, c.Id);
  await tearDownCni(deps, deps.containers.record(rec.Id));
  await removeQuietly(deps, rec.Id);
}

export async function removeQuietly(deps: CriDeps, id: string): Promise<void> {
  try {
    await deps.containers.remove(id, { force: true });
  } catch (err) {
    if (/No such container/.test((err as Error).message)) return;
    throw err;
  }
}

export function podContainers(deps: CriDeps, sandboxId: string): ContainerRecord[] {
  return criRecords(deps, 'container').filter((c) => c.Config.Labels[SANDBOX_LABEL] === sandboxId);
}

const sandboxState = (rec: ContainerRecord) => (rec.State.Running ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY');

function podIp(rec: ContainerRecord): string {
  for (const ep of Object.values(rec.Endpoints ?? {})) if (ep.IPAddress) return ep.IPAddress;
  return '';
}

function summary(rec: ContainerRecord) {
  const s = stateOf<SandboxState>(rec);
  return { id: rec.Id, metadata: s.metadata, state: sandboxState(rec), created_at: s.createdAt ?? nanos(rec.Created), labels: s.labels, annotations: s.annotations, runtime_handler: s.runtimeHandler };
}

export function podSandboxStatus(deps: CriDeps, id: string, verbose: boolean) {
  const rec = criRecord(deps, 'sandbox', id);
  const s = stateOf<SandboxState>(rec);
  const ips = s.network === 'NODE' || !rec.State.Running ? [] : s.cni ? deps.cni?.ips(rec.Id) ?? [] : [podIp(rec)].filter(Boolean);
  const status = {
    ...summary(rec),
    network: { ip: ips[0] ?? '', additional_ips: ips.slice(1).map((ip) => ({ ip })) },
    linux: { namespaces: { options: { network: s.network, pid: s.pid, ipc: s.ipc, target_id: '' } } },
  };
  const info: Record<string, string> = verbose ? { info: JSON.stringify({ pid: rec.State.Pid, image: rec.Image, hostname: s.hostname, runtimeHandler: s.runtimeHandler }) } : {};
  return { status, info };
}

export function listPodSandbox(deps: CriDeps, filter: { id?: string; state?: { state?: string } | null; label_selector?: Record<string, string> } | null | undefined) {
  return criRecords(deps, 'sandbox')
    .filter((r) => !filter?.id || r.Id.startsWith(filter.id))
    .filter((r) => !filter?.state || sandboxState(r) === filter.state.state)
    .map(summary)
    .filter((s) => matchesSelector(s.labels, filter?.label_selector));
}

/** The sandbox record for a container's create (must exist; its state decides the joins). */
export function sandboxFor(deps: CriDeps, id: string): { rec: ContainerRecord; state: SandboxState } {
  const rec = criRecord(deps, 'sandbox', id);
  return { rec, state: stateOf<SandboxState>(rec) };
}
