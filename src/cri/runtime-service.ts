/**
 * The CRI RuntimeService: one handler per RPC of api.proto, each a thin call into sandbox.ts,
 * containers.ts or stats.ts. Exec / Attach / PortForward answer URLs of the streaming server
 * (src/cri/streaming) when the daemon gives one, UNIMPLEMENTED otherwise.
 */
import * as grpc from '@grpc/grpc-js';
import type { CriDeps } from './deps.ts';
import { GrpcError, unimplemented, type Handlers } from './grpc.ts';
import { KIND_LABEL, SANDBOX_LABEL, nowNanos } from './meta.ts';
import { criRecord } from './records.ts';
import { listPodSandbox, podSandboxStatus, removePodSandbox, runPodSandbox, stopPodSandbox } from './sandbox.ts';
import {
  TimeoutError, containerStatus, createContainer, execSync, listContainers, removeContainer, reopenContainerLog, startContainer, stopContainer, updateContainerResources,
} from './containers.ts';
import { containerStats, listContainerStats, listPodSandboxStats, podSandboxStats } from './stats.ts';
import { InvalidStreamRequestError, TooManyInFlightError } from './streaming/index.ts';

export const CRI_API_VERSION = 'v1';

export function runtimeHandlers(deps: CriDeps): Handlers {
  let podCidr = '';
  return {
    Version: async () => ({ version: '0.1.0', runtime_name: deps.runtimeName, runtime_version: deps.runtimeVersion, runtime_api_version: CRI_API_VERSION }),
    Status: async (req: { verbose?: boolean }) => {
      const rt = deps.runtimeReady();
      const net = deps.cni?.configured() ? deps.cni.ready() : deps.bridgeReady() ? { ok: true } : { ok: false, reason: 'the bridge network is off (wharfd --iptables=false): pods get only a loopback interface' };
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: rt.ok, reason: rt.ok ? '' : 'RuntimeNotReady', message: rt.reason ?? '' },
            { type: 'NetworkReady', status: net.ok, reason: net.ok ? '' : 'NetworkPluginNotReady', message: net.reason ?? '' },
          ],
        },
        info: req.verbose ? { config: JSON.stringify({ cgroupDriver: deps.cgroupDriver, network: deps.cni?.configured() ? 'cni' : 'bridge', podCidr }) } : {},
      };
    },
    UpdateRuntimeConfig: async (req: { runtime_config?: { network_config?: { pod_cidr?: string } | null } | null }) => {
      podCidr = req.runtime_config?.network_config?.pod_cidr ?? podCidr;
      return {};
    },

    RunPodSandbox: async (req) => ({ pod_sandbox_id: await runPodSandbox(deps, req.config, req.runtime_handler ?? '') }),
    StopPodSandbox: async (req) => { await stopPodSandbox(deps, req.pod_sandbox_id); return {}; },
    RemovePodSandbox: async (req) => { await removePodSandbox(deps, req.pod_sandbox_id); return {}; },
    PodSandboxStatus: async (req) => podSandboxStatus(deps, req.pod_sandbox_id, req.verbose === true),
    ListPodSandbox: async (req) => ({ items: listPodSandbox(deps, req.filter) }),

    CreateContainer: async (req) => ({ container_id: await createContainer(deps, req.pod_sandbox_id, req.config) }),
    StartContainer: async (req) => { await startContainer(deps, req.container_id); return {}; },
    StopContainer: async (req) => { await stopContainer(deps, req.container_id, Number(req.timeout ?? 0)); return {}; },
    RemoveContainer: async (req) => { await removeContainer(deps, req.container_id); return {}; },
    ListContainers: async (req) => ({ containers: listContainers(deps, req.filter) }),
    ContainerStatus: async (req) => containerStatus(deps, req.container_id, req.verbose === true),
    UpdateContainerResources: async (req) => { await updateContainerResources(deps, req.container_id, req.linux); return {}; },
    ReopenContainerLog: async (req) => { await reopenContainerLog(deps, req.container_id); return {}; },
    ExecSync: async (req) => {
      try {
        return await execSync(deps, req.container_id, req.cmd ?? [], Number(req.timeout ?? 0));
      } catch (err) {
        if (err instanceof TimeoutError) throw new GrpcError(grpc.status.DEADLINE_EXCEEDED, err.message);
        throw err;
      }
    },

    Exec: async (req) => {
      if (!deps.streaming) throw unimplemented('Exec');
      const rec = criRecord(deps, 'container', req.container_id);
      if (!rec.State.Running) throw new GrpcError(grpc.status.FAILED_PRECONDITION, `container ${rec.Id} is not running`);
      return { url: streamingUrl(() => deps.streaming!.execUrl({ containerId: rec.Id, cmd: req.cmd ?? [], tty: req.tty === true, stdin: req.stdin === true, stdout: req.stdout === true, stderr: req.stderr === true })) };
    },
    Attach: async (req) => {
      if (!deps.streaming) throw unimplemented('Attach');
      const rec = criRecord(deps, 'container', req.container_id);
      if (!rec.State.Running) throw new GrpcError(grpc.status.FAILED_PRECONDITION, `container ${rec.Id} is not running`);
      return { url: streamingUrl(() => deps.streaming!.attachUrl({ containerId: rec.Id, tty: req.tty === true, stdin: req.stdin === true, stdout: req.stdout === true, stderr: req.stderr === true })) };
    },
    PortForward: async (req) => {
      if (!deps.streaming) throw unimplemented('PortForward');
      const rec = criRecord(deps, 'sandbox', req.pod_sandbox_id);
      if (!rec.State.Running) throw new GrpcError(grpc.status.FAILED_PRECONDITION, `pod sandbox ${rec.Id} is not ready`);
      return { url: streamingUrl(() => deps.streaming!.portForwardUrl({ podSandboxId: rec.Id, ports: (req.port ?? []).map(Number) })) };
    },

    ContainerStats: async (req) => ({ stats: await containerStats(deps, criRecord(deps, 'container', req.container_id)) }),
    ListContainerStats: async (req) => ({ stats: await listContainerStats(deps, req.filter) }),
    PodSandboxStats: async (req) => ({ stats: await podSandboxStats(deps, criRecord(deps, 'sandbox', req.pod_sandbox_id)) }),
    ListPodSandboxStats: async (req) => ({ stats: await listPodSandboxStats(deps, req.filter) }),

    GetContainerEvents: { stream: (_req, call) => containerEvents(deps, call) },
  };
}

/** The streaming server's refusals as kubelet's codes: a bad request, or too many URLs not yet used. */
function streamingUrl(make: () => string): string {
  try {
    return make();
  } catch (err) {
    if (err instanceof InvalidStreamRequestError) throw new GrpcError(grpc.status.INVALID_ARGUMENT, err.message);
    if (err instanceof TooManyInFlightError) throw new GrpcError(grpc.status.RESOURCE_EXHAUSTED, err.message);
    throw err;
  }
}

const EVENT_TYPES: Record<string, string> = { create: 'CONTAINER_CREATED_EVENT', start: 'CONTAINER_STARTED_EVENT', die: 'CONTAINER_STOPPED_EVENT', destroy: 'CONTAINER_DELETED_EVENT' };

/** Lifecycle events of CRI containers until the client goes away. */
function containerEvents(deps: CriDeps, call: grpc.ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const off = deps.events.subscribe((e) => {
      if (e.Type !== 'container' || e.Actor.Attributes[KIND_LABEL] !== 'container') return;
      const type = EVENT_TYPES[e.Action];
      if (!type) return;
      const sandboxId = e.Actor.Attributes[SANDBOX_LABEL] ?? '';
      let pod = null;
      try { pod = podSandboxStatus(deps, sandboxId, false).status; } catch { /* gone */ }
      call.write({ container_id: e.Actor.ID, container_event_type: type, created_at: nowNanos(), pod_sandbox_status: pod, containers_statuses: [] });
    });
    const done = () => { off(); resolve(); };
    call.on('cancelled', done);
    call.on('close', done);
    call.on('error', done);
  });
}
