/** What the build routes need from the engine (the build service satisfies it). */
import type { BuildRequest } from '../../types/build.ts';

export type BuildOptions = BuildRequest;

export interface BuildBackend {
  /** Throws 400 for a bad `t` before anything is streamed. */
  validateTags(tags: string[]): void;
  build(o: BuildOptions): Promise<string>;
  prune(): { CachesDeleted: string[] | null; SpaceReclaimed: number };
}
