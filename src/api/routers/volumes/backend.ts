/** What the volume routes need from the engine (the volumes service implements it). */
export interface VolumeJson {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
}

export interface VolumesBackend {
  create(req: { Name?: string; Driver?: string; DriverOpts?: Record<string, string> | null; Labels?: Record<string, string> | null }): VolumeJson;
  inspect(name: string): VolumeJson;
  /** Validates filters (400 `invalid filter 'x'`). */
  list(filters: Record<string, string[]>): { Volumes: VolumeJson[]; Warnings: string[] };
  remove(name: string, force: boolean): void;
  /** `allVolumes`: named volumes too when the `all` filter is not given. */
  prune(filters: Record<string, string[]>, opts: { allVolumes: boolean }): { VolumesDeleted: string[]; SpaceReclaimed: number };
}
