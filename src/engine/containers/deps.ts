/**
 * What the containers service needs from the rest of the engine, as small interfaces so the
 * composition root (src/daemon) can hand in the real services.
 */
import type { CleanupJournal } from '../../common/cleanups.ts';
import type { Logger } from '../../common/logger.ts';
import type { RuntimeDriver } from '../../drivers/runtime/contract.ts';
import type { SnapshotDriver } from '../../drivers/snapshot/contract.ts';
import type { SandboxProvider } from '../../drivers/network/contract.ts';
import type { EventBus } from '../events/index.ts';
import type { VolumeProvider } from './mounts.ts';
import type { NetworkDrivers } from './network-drivers.ts';

/** An image's runtime-relevant config (image-spec `config` section). */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Volumes?: Record<string, object> | null;
  ExposedPorts?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Hostname?: string;
  OnBuild?: string[] | null;
  Healthcheck?: unknown;
}

export interface ResolvedImage {
  /** sha256:… */
  id: string;
  config: ImageRuntimeConfig;
  /** ChainID of the top layer (undefined for an image without layers). */
  topChainId: string | undefined;
  /** Bytes of the image's layers (ps -s "virtual"). */
  size?: number;
}

export interface ImageResolver {
  /** Throws NotFoundError `No such image: x:latest` when absent. */
  resolve(ref: string): Promise<ResolvedImage> | ResolvedImage;
  /**
   * A container's snapshot `key` holds the layer chain under it (as docker's RW layer does):
   * no image removal releases those layers until releaseLayers(key) (the layer store's mounts).
   */
  holdLayers?(key: string, chainId: string | undefined): void;
  releaseLayers?(key: string): void;
}

export interface ContainersDeps {
  dataRoot: string;
  runtime: RuntimeDriver;
  snapshots: SnapshotDriver;
  /** Every container's netns, published ports and /etc files (none: containers get `--network none`). */
  sandboxes?: SandboxProvider;
  /** The network drivers by name: a network's connect/disconnect go to the driver it names. */
  networks?: NetworkDrivers;
  volumes?: VolumeProvider;
  images: ImageResolver;
  events: EventBus;
  logger: Logger;
  /** Failed cleanups, logged and retried at the next daemon start (none: logged only). */
  cleanups?: CleanupJournal;
  /** Daemon-wide `--no-new-privileges`. */
  noNewPrivileges?: boolean;
  /** Daemon default log driver (daemon.json `log-driver`; json-file when absent). */
  logDriver?: string;
  /** Daemon default log options (max-size, max-file), for containers of the default driver. */
  logOpts?: Record<string, string>;
  dns?: string[];
  /** daemon.json `dns-search`: search domains of containers that give none. */
  dnsSearch?: string[];
  /** daemon.json `default-runtime`: the runtime of containers that name none. */
  defaultRuntime?: string;
  /** The runtimes by name (`--runtime`): an unknown name is refused at create. */
  runtimes?: { has(name: string): boolean };
  /** daemon.json `default-shm-size` in bytes: /dev/shm of containers that give no ShmSize. */
  defaultShmSize?: number;
  /** Where CDI specs are read (daemon.json `cdi-spec-dirs`); /etc/cdi and /var/run/cdi when absent. */
  cdiSpecDirs?: string[];
}
