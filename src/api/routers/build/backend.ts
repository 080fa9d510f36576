/** What the build routes need from the engine (the build service satisfies it). */
import type { Readable } from 'node:stream';

export interface BuildOptions {
  context: Readable;
  dockerfile?: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  noCache: boolean;
  rm: boolean;
  forceRm: boolean;
  pull: boolean;
  quiet: boolean;
  target?: string;
  networkMode?: string;
  extraHosts: string[];
  cacheFrom?: string[];
  registryConfig?: Record<string, unknown>;
  signal?: AbortSignal;
  /** `always`: written also with `quiet` (the image id); other messages only when the build fails. */
  out(msg: Record<string, unknown>, always?: boolean): void;
}

export interface BuildBackend {
  /** Throws 400 for a bad `t` before anything is streamed. */
  validateTags(tags: string[]): void;
  build(o: BuildOptions): Promise<string>;
  prune(): { CachesDeleted: string[] | null; SpaceReclaimed: number };
}
