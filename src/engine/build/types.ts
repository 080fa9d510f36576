/**
 * What the builder needs from the rest of the engine (BuildDeps, wired by src/daemon) and
 * what one build request carries (BuildRequest, filled by the API router from `POST /build`).
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../../common/logger.ts';
import type { SnapshotDriver } from '../../drivers/snapshot/contract.ts';
import type { ContainersService } from '../containers/index.ts';
import type { ImagesService } from '../images/index.ts';

export interface BuildDeps {
  images: ImagesService;
  containers: ContainersService;
  snapshots: SnapshotDriver;
  /** `<data-root>`: builds work under `<data-root>/build/`. */
  dataRoot: string;
  logger: Logger;
  /**
   * Registry hook for `FROM` of an image that is not local (or `pull=1`): pulls `ref` (always
   * with a tag or digest) with the auth entry of its registry, writing docker progress messages. Absent: a missing base image fails the build.
   */
  pull?(ref: string, auth: Record<string, unknown> | undefined, progress: (msg: Record<string, unknown>) => void): Promise<void>;
}

export interface BuildRequest {
  /** The context tar (plain, gzip, bzip2 or xz). */
  context: Readable;
  /** Path of the Dockerfile inside the context (default `Dockerfile`). */
  dockerfile?: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  noCache: boolean;
  /** Remove intermediate containers after a successful step (default true). */
  rm: boolean;
  /** Always remove intermediate containers, also after a failed step. */
  forceRm: boolean;
  pull: boolean;
  quiet: boolean;
  target?: string;
  /** RUN containers' network (`--network`); the daemon default when unset. */
  networkMode?: string;
  /** `host:ip` lines added to RUN containers' /etc/hosts (`--add-host`). */
  extraHosts?: string[];
  /**
   * `--cache-from`: when set, a cached step must come from these images (docker's
   * ImageCache): a local child is used only if it is an ancestor of one of them, and a
   * listed image whose history continues the current one is used (or restored) directly.
   */
  cacheFrom?: string[];
  /** Decoded `X-Registry-Config` (auth per registry) for pulls. */
  registryConfig?: Record<string, unknown>;
  /** Aborted when the client went away: the build stops (a running RUN is killed). */
  signal?: AbortSignal;
  /**
   * Writes one JSON message of the response stream (`{"stream": …}`, `{"aux": …}`). With
   * `quiet`, the router holds back messages not marked `always` (written only on failure).
   */
  out(msg: Record<string, unknown>, always?: boolean): void;
}
