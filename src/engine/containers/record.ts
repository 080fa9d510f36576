/**
 * The container record: docker's Config / HostConfig shapes as received, plus the state
 * machine the engine drives. created → running ⇄ paused → exited → (removed); restarting
 * is running-again after an exit under a restart policy.
 */
import type { ContainerConfig, EndpointSettings, HealthConfig, HostConfig, Mount, PortBinding } from '../../api/types/container.ts';

/** Config and HostConfig are the wire types (api/types/container.ts), stored as the engine normalised them. */
export type { ContainerConfig, HealthConfig, HostConfig, PortBinding };
/** `HostConfig.Mounts[]`, as the client gave it. */
export type MountRequest = Mount;

/** Written only by `Container` (container.ts), through the state machine (state-machine.ts). */
export interface ContainerState {
  readonly Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  readonly Running: boolean;
  readonly Paused: boolean;
  readonly Restarting: boolean;
  readonly OOMKilled: boolean;
  readonly Dead: boolean;
  readonly Pid: number;
  readonly ExitCode: number;
  readonly Error: string;
  readonly StartedAt: string;
  readonly FinishedAt: string;
  /** Present once a container with a healthcheck has started (health.ts); kept when it stops. */
  readonly Health?: HealthState;
}

/** One probe's outcome, as `State.Health.Log` shows it. */
export interface HealthResult {
  readonly Start: string;
  readonly End: string;
  /** 0 healthy, anything else a failure; -1 when the probe timed out or could not run. */
  readonly ExitCode: number;
  readonly Output: string;
}

export interface HealthState {
  readonly Status: 'starting' | 'healthy' | 'unhealthy';
  readonly FailingStreak: number;
  /** The last 5 results, oldest first. */
  readonly Log: readonly HealthResult[];
}

/** What the client asked of one network: create's EndpointsConfig, `network connect`'s EndpointConfig (the request part of EndpointSettings). */
export type EndpointRequest = Pick<EndpointSettings, 'Aliases' | 'Links' | 'IPAMConfig' | 'MacAddress' | 'DriverOpts'>;

/** NetworkSettings.Networks[name]: the request as given, plus what the network gave (while running). */
export interface EndpointRecord {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  /** The requested aliases; on user networks docker appends the short id once connected. */
  Aliases: string[] | null;
  DNSNames?: string[] | null;
  IPAMConfig?: EndpointRequest['IPAMConfig'];
  Links?: string[] | null;
  DriverOpts?: Record<string, string> | null;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
}

export interface MountPointRecord {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Anonymous volume (removed by rm -v). */
  Anonymous?: boolean;
  /** `--mount type=volume,volume-opt=…,volume-label=…`: used when the volume is created. */
  VolumeOptions?: { Labels?: Record<string, string>; DriverOpts?: Record<string, string> };
}

export interface ContainerRecord {
  Id: string;
  /** With the leading slash, like docker. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** Image ID (sha256:…). */
  Image: string;
  readonly State: ContainerState;
  RestartCount: number;
  Driver: string;
  Platform: 'linux';
  LogPath: string;
  MountPoints: MountPointRecord[];
  Endpoints: Record<string, EndpointRecord>;
  Ports: Record<string, PortBinding[] | null>;
  /** Set by stop/kill from the user: restart policies other than `always` don't restart it. */
  ManuallyStopped: boolean;
  HasBeenStarted: boolean;
  SandboxKey: string;
  /**
   * A container the engine runs for itself (a build's RUN step, run-job.ts) and removes
   * when done: removed at daemon start when a killed daemon left it behind, unless the
   * caller kept it (`keepJob`: `build --rm=false`, a failed step).
   */
  Job?: true;
  /**
   * Set (and saved) when `rm` starts its work: a daemon killed in the middle finishes the
   * removal at its next start (`volumes`: anonymous volumes go too, as `rm -v` asked).
   */
  Removing?: { volumes: boolean };
  /** Paused by a commit (not the user): a daemon killed during the commit resumes it at its next start. */
  CommitPause?: true;
  /** The networks asked for at create (EndpointsConfig) or with `network connect`, by name as given. */
  NetworkingRequest?: Record<string, EndpointRequest>;
  /** Networks left with `network disconnect` (the NetworkMode one is otherwise always joined), by id. */
  NetworkDetached?: string[];
  /** Legacy links (`--link`) to children, by the child's id (links.ts). */
  LinkedChildren?: LinkRecord[];
}

/** One legacy link of a parent container. */
export interface LinkRecord {
  /** The linked (child) container's id. */
  Id: string;
  Alias: string;
}

export function freshState(): ContainerState {
  return { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' };
}

/** docker ps STATUS text: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
export function statusText(s: ContainerState, humanDuration: (ms: number) => string, now = Date.now()): string {
  if (s.Status === 'running' || s.Status === 'paused') {
    const up = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    if (s.Paused) return `${up} (Paused)`;
    if (s.Health) return `${up} (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})`;
    return up;
  }
  if (s.Status === 'restarting') return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Status === 'exited') return s.FinishedAt.startsWith('0001') ? `Exited (${s.ExitCode})` : `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  return 'Created';
}
