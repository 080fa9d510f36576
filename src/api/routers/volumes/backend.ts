/** What the volume routes need from the engine (the volumes service implements it). */
import type { Volume, VolumeCreateRequest } from '../../types/volume.ts';

export type VolumeJson = Volume;

export interface VolumesBackend {
  create(req: VolumeCreateRequest): VolumeJson;
  inspect(name: string): VolumeJson;
  /** Validates filters (400 `invalid filter 'x'`). */
  list(filters: Record<string, string[]>): { Volumes: VolumeJson[]; Warnings: string[] };
  remove(name: string, force: boolean): void;
  /** `allVolumes`: named volumes too when the `all` filter is not given. */
  prune(filters: Record<string, string[]>, opts: { allVolumes: boolean }): { VolumesDeleted: string[]; SpaceReclaimed: number };
}
