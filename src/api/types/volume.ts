/** The volume wire types of the Engine API (`Volume`, `VolumeCreateOptions`), for the routers, the engine and the CLI. */

/** docker's Volume object (GET /volumes/{name}, the list's entries, `system df`). */
export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number };
}

/** The body of `POST /volumes/create`. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}
