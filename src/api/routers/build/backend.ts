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
  registryConfig?: Record<string, unknown>;
  signal?: AbortSignal;
  out(msg: Record<string, unknown>): void;
}

export interface BuildBackend {
  /** Throws 400 for a bad `t` before anything is streamed. */
  validateTags(tags: string[]): void;
  build(o: BuildOptions): Promise<string>;
  prune(): { CachesDeleted: string[] | null; SpaceReclaimed: number };
}
