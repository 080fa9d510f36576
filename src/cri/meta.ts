/**
 * How CRI objects live in wharf's container records: a pod sandbox and each of its containers
 * are ordinary containers, marked by labels. kubelet's own labels are copied as docker labels
 * (so `wharf ps --filter label=io.kubernetes.pod.name=x` works); the CRI's exact labels,
 * annotations and metadata are kept in one JSON label each, so what kubelet reads back is what
 * it gave, never mixed with the image's labels.
 */
import type { ContainerRecord } from '../engine/containers/index.ts';
import { nowNs, rfc3339Ns } from '../common/time-ns.ts';

export const KIND_LABEL = 'io.wharf.cri.kind';
export const SANDBOX_LABEL = 'io.wharf.cri.sandbox-id';
export const STATE_LABEL = 'io.wharf.cri.state';

export interface PodMetadata { name: string; uid: string; namespace: string; attempt: number }
export interface ContainerMetadata { name: string; attempt: number }

/** What the CRI needs back from a sandbox record. */
export interface SandboxState {
  metadata: PodMetadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: string;
  runtimeHandler: string;
  logDirectory: string;
  hostname: string;
  network: 'POD' | 'NODE';
  /** The pod network comes from CNI plugins (else wharf's bridge, or the host's with NODE). */
  cni?: boolean;
  pid: 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
  ipc: 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
  /** kubelet's pod cgroup (cgroupfs), the parent of every container's cgroup in the pod. */
  cgroupParent?: string;
  ports: { protocol: string; container_port: number; host_port: number; host_ip: string }[];
}

export interface ContainerState {
  metadata: ContainerMetadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: string;
  image: string;
  /** The image as kubelet named it, and what it resolved to. */
  imageRef: string;
  logPath: string;
  mounts: { container_path: string; host_path: string; readonly: boolean; selinux_relabel: boolean; propagation: string }[];
}

export function criKind(rec: ContainerRecord): 'sandbox' | 'container' | undefined {
  const k = rec.Config.Labels?.[KIND_LABEL];
  return k === 'sandbox' || k === 'container' ? k : undefined;
}

export function stateOf<T>(rec: ContainerRecord): T {
  return JSON.parse(rec.Config.Labels?.[STATE_LABEL] ?? '{}') as T;
}

/** Labels of a record made through the CRI: kubelet's (internal keys dropped) + ours. */
export function recordLabels(kind: 'sandbox' | 'container', state: SandboxState | ContainerState, sandboxId?: string): Record<string, string> {
  const own = Object.fromEntries(Object.entries(state.labels).filter(([k]) => !k.startsWith('io.wharf.cri.')));
  return { ...own, [KIND_LABEL]: kind, ...(sandboxId ? { [SANDBOX_LABEL]: sandboxId } : {}), [STATE_LABEL]: JSON.stringify(state) };
}

/** Docker-safe name part: k8s names are DNS labels already; anything else becomes `-`. */
const safe = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');

/** dockershim's naming: `k8s_POD_<pod>_<ns>_<uid>_<attempt>`. */
export function sandboxName(m: PodMetadata): string {
  return `k8s_POD_${safe(m.name)}_${safe(m.namespace)}_${safe(m.uid)}_${m.attempt}`;
}

export function containerName(c: ContainerMetadata, pod: PodMetadata): string {
  return `k8s_${safe(c.name)}_${safe(pod.name)}_${safe(pod.namespace)}_${safe(pod.uid)}_${c.attempt}`;
}

/** An RFC 3339 time (any fraction) as Unix nanoseconds, a decimal string (int64 on the wire). */
export function nanos(iso: string | undefined): string {
  if (!iso || iso.startsWith('0001-') || !/(Z|[+-]\d\d:\d\d)$/.test(iso)) return '0';
  return (rfc3339Ns(iso) ?? 0n).toString();
}

/** Now, as Unix nanoseconds. */
export function nowNanos(): string {
  return nowNs().toString();
}

/** CRI label selector: every key/value must match. */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
