/**
 * The system service: version, info and events for the API. It owns no state of its own;
 * the figures come from the other services through `InfoSources`, wired in src/daemon.
 */
import { readdirSync } from 'node:fs';
import { InvalidArgumentError } from '../../common/errors.ts';
import { readHostFacts, goArch, unameMachine, type HostFacts } from '../../common/host.ts';
import { API_VERSION, MIN_API_VERSION } from '../../api/types/version.ts';
import type { EventBus, EventQuery } from '../events/index.ts';
import { validateEventFilters } from '../../api/types/events.ts';
import { maskProxyCredentials, proxyFromEnv } from '../../registry/client/index.ts';
import { diskUsage, type DiskUsageOptions, type DiskUsageSources } from './disk-usage.ts';

export type { BuildCacheRecord, DiskUsageOptions, DiskUsageSources } from './disk-usage.ts';

export const WHARF_VERSION = '0.1.0';
export const GIT_COMMIT = 'wharf';

export interface ContainerCounts { total: number; running: number; paused: number; stopped: number }

export interface RegistrySettings {
  mirrors: string[];
  insecureRegistries: string[];
}

export interface InfoSources {
  containerCounts(): ContainerCounts;
  imageCount(): number;
  storageDriver(): { name: string; status: [string, string][] };
  registry(): RegistrySettings;
  runtimes(): { default: string; names: string[] };
  /** Loud notes for users (e.g. an old runc). */
  warnings(): string[];
  debug(): boolean;
  liveRestore(): boolean;
  /** daemon.json `labels` (`key=value`), as `info` Labels. */
  labels?(): string[];
  /** CDI spec directories, the devices their specs define and the host's GPUs. */
  devices?(): HostDevices;
  /** `system df`: the services that own images, containers, volumes and build cache. */
  diskUsage?: DiskUsageSources;
}

export interface HostDevices {
  cdiSpecDirs: string[];
  /** docker's DiscoveredDevices (API 1.50): `{ Source: 'cdi', ID: 'vendor.com/class=name' }`. */
  discovered: { Source: string; ID: string }[];
  gpus: { Vendor: string; Index: number; Name: string; UUID: string; BusId: string; Path: string }[];
  gpuDriverVersion: string;
}

export interface SystemServiceOptions {
  events: EventBus;
  sources: InfoSources;
  dataRoot: string;
  daemonId: string;
  name?: string;
  loggingDriver?: string;
}

export class SystemService {
  private readonly host: HostFacts = readHostFacts();
  constructor(private readonly o: SystemServiceOptions) {}

  version(): Record<string, unknown> {
    const h = this.host;
    return {
      Platform: { Name: 'Wharf Engine' },
      Components: [
        { Name: 'Engine', Version: WHARF_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: GIT_COMMIT, GoVersion: `node${process.versions.node}`, Os: 'linux', Arch: goArch(), KernelVersion: h.kernelVersion, Experimental: 'false', BuildTime: '' } },
      ],
      Version: WHARF_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: GIT_COMMIT,
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: h.kernelVersion,
      BuildTime: '',
    };
  }

  async info(): Promise<Record<string, unknown>> {
    const h = this.host;
    const s = this.o.sources;
    const c = s.containerCounts();
    const driver = s.storageDriver();
    const reg = s.registry();
    const rt = s.runtimes();
    const dev: HostDevices = s.devices?.() ?? { cdiSpecDirs: [], discovered: [], gpus: [], gpuDriverVersion: '' };
    const indexConfigs: Record<string, unknown> = {
      'docker.io': { Name: 'docker.io', Mirrors: reg.mirrors, Secure: true, Official: true },
    };
    for (const r of reg.insecureRegistries) if (!r.includes('/')) indexConfigs[r] = { Name: r, Mirrors: [], Secure: false, Official: false };
    return {
      ID: this.o.daemonId,
      Containers: c.total,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: s.imageCount(),
      Driver: driver.name,
      DriverStatus: driver.status,
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['journald', 'json-file', 'k8s-file'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: true,
      BridgeNfIp6tables: true,
      Debug: s.debug(),
      NFd: countFds(),
      OomKillDisable: h.cgroupVersion === '1',
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: this.o.loggingDriver ?? 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: h.cgroupVersion,
      NEventsListener: 0,
      KernelVersion: h.kernelVersion,
      OperatingSystem: h.operatingSystem,
      OSVersion: h.osVersion,
      OSType: 'linux',
      Architecture: unameMachine(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null,
        AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ['127.0.0.0/8', ...reg.insecureRegistries.filter((r) => r.includes('/'))],
        IndexConfigs: indexConfigs,
        Mirrors: reg.mirrors,
      },
      NCPU: h.ncpu,
      MemTotal: h.memTotal,
      GenericResources: null,
      DockerRootDir: this.o.dataRoot,
      // docker's getConfigOrEnv + MaskCredentials: the daemon's proxies (daemon.json's were put in its environment at start).
      HttpProxy: maskProxyCredentials(proxyFromEnv().httpProxy ?? ''),
      HttpsProxy: maskProxyCredentials(proxyFromEnv().httpsProxy ?? ''),
      NoProxy: proxyFromEnv().noProxy ?? '',
      Name: this.o.name ?? h.hostname,
      Labels: [...(this.o.sources.labels?.() ?? [])],
      ExperimentalBuild: false,
      ServerVersion: WHARF_VERSION,
      Runtimes: Object.fromEntries(rt.names.map((n) => [n, { path: n }])),
      DefaultRuntime: rt.default,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: s.liveRestore(),
      Isolation: '',
      InitBinary: 'docker-init',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin', ...(h.cgroupVersion === '2' ? ['name=cgroupns'] : [])],
      CDISpecDirs: dev.cdiSpecDirs,
      DiscoveredDevices: dev.discovered,
      GPUs: dev.gpus,
      GPUDriverVersion: dev.gpuDriverVersion,
      Warnings: s.warnings(),
    };
  }

  eventsHistory(q: EventQuery) {
    try {
      if (q.filters) validateEventFilters(q.filters);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return this.o.events.history(q);
  }

  subscribeEvents(fn: Parameters<EventBus['subscribe']>[0]) {
    return this.o.events.subscribe(fn);
  }

  async diskUsage(opts: DiskUsageOptions = {}): Promise<Record<string, unknown>> {
    const src = this.o.sources.diskUsage ?? { images: () => ({ LayersSize: 0, Images: [] }), containers: () => [], containerImageIds: () => [], volumes: () => [], buildCache: () => [] };
    return diskUsage(src, opts);
  }
}

function countFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}
