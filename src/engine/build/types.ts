/**
 * What the builder needs from the rest of the engine (BuildDeps, wired by src/daemon) and
 * what one build request carries (BuildRequest, filled by the API router from `POST /build`).
 */
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

export type { BuildRequest } from '../../api/types/build.ts';
