/** What one `POST /build` carries, decoded by the router from its query and headers, for the build service. */
import type { Readable } from 'node:stream';

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
