/**
 * What the CRI front-end needs from the engine, handed in by the composition root
 * (src/daemon). The CRI translates kubelet's requests into the engine's own operations, so
 * pods and containers made through it are ordinary wharf containers (visible to the Docker
 * API, `wharf ps`), and images pulled through it are in the same image store.
 */
import type { Logger } from '../common/logger.ts';
import type { ContainersService } from '../engine/containers/index.ts';
import type { ImagesService } from '../engine/images/index.ts';
import type { EventBus } from '../engine/events/index.ts';

/** The streaming server (src/cri/streaming) as the RPCs use it: URLs kubelet then dials. */
export interface StreamingUrls {
  execUrl(req: { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): string;
  attachUrl(req: { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): string;
  portForwardUrl(req: { podSandboxId: string; ports: number[] }): string;
}

/** Pod networks from CNI plugins (src/cri/cni.ts); pods use wharf's bridge while no config is present. */
export interface PodNetworkProvider {
  name: string;
  /** Whether the config dir holds a network config now. */
  configured(): boolean;
  /** Whether that config is usable (Status' NetworkReady). */
  ready(): { ok: boolean; reason?: string };
  /** Sets up the pod's network in `netnsPath`; answers its IPs. */
  setUp(podId: string, netnsPath: string, o: { name: string; namespace: string; uid: string; portMappings: PortMapping[] }): Promise<{ ips: string[] }>;
  /** Tears it down (netnsPath '' when the namespace is gone); a pod without a CNI network is a no-op. */
  tearDown(podId: string, netnsPath: string, o: { name: string; namespace: string; uid: string; portMappings: PortMapping[] }): Promise<void>;
  ips(podId: string): string[];
  has(podId: string): boolean;
}

export interface PortMapping { protocol: string; containerPort: number; hostPort: number; hostIp: string }

export interface DockerStatsJson {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number>; limit?: number };
}

export interface CriDeps {
  containers: ContainersService;
  images: ImagesService;
  events: EventBus;
  logger: Logger;
  /** Pull through the distribution service, with the CRI's registry mirrors. */
  pull(ref: string, auth: { username?: string; password?: string; auth?: string; serveraddress?: string; identitytoken?: string; registrytoken?: string } | undefined): Promise<void>;
  /** One docker-style stats sample of a running container. */
  stats(id: string): Promise<DockerStatsJson | undefined>;
  /** `docker update` body (Resources) applied to a container. */
  update(id: string, body: Record<string, unknown>): Promise<void>;
  /** Bytes used by the container's writable layer (undefined when unknown). */
  writableLayerBytes?(id: string): number | undefined;
  /** The image store's filesystem, for ImageFsInfo. */
  imageFsPath: string;
  runtimeName: string;
  runtimeVersion: string;
  /** Whether containers can run (runc found). */
  runtimeReady(): { ok: boolean; reason?: string };
  /** Whether wharf's bridge networking is up (used when no CNI provider is set). */
  bridgeReady(): boolean;
  cni?: PodNetworkProvider;
  streaming?: StreamingUrls;
  cgroupDriver: 'cgroupfs' | 'systemd';
}
