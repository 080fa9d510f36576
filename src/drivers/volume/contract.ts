/**
 * Volume driver contract: where a named volume's data lives and what is mounted there while
 * containers use it. Implementation: local (`src/drivers/volume/local/`: a directory per
 * volume, optionally a filesystem mounted on it, docker's `--opt type=… device=… o=…`).
 *
 * Drivers are registered by name in the composition root (`src/daemon/daemon.ts`, a
 * `DriverRegistry<VolumeDriver>`); `volume create -d NAME`, `--mount …,volume-driver=NAME` and
 * `--volume-driver NAME` look NAME up (unknown: docker's 404
 * `error looking up volume plugin NAME: plugin "NAME" not found`). The volumes service keeps the
 * metadata (store/volume-store.ts) and calls its volume's driver by the name in the record.
 *
 * Lifecycle (the volumes service's calls, in order):
 *   d.recover(known, log)           // daemon start: finish removals cut short
 *   d.validateOptions(opts)         // volume create: refuse bad driver options before anything
 *   d.create(name)                  // → the directory containers mount (`Mountpoint`)
 *   d.mount(name, opts)             // a container's run begins (idempotent)
 *   d.unmount(name)                 // the last container using it stopped (idempotent)
 *   d.remove(name)                  // volume rm / prune: unmounted and deleted, whole or not at all
 *
 * Example:
 *   const d = new LocalVolumeDriver('/var/lib/wharf/volumes');
 *   d.create('data');                  // '/var/lib/wharf/volumes/data/_data'
 *   d.mount('data', null); d.isEmpty('data');  // true
 *   d.remove('data');
 *
 * Errors: InvalidArgumentError for options the driver refuses (docker's texts:
 * `invalid option: "x"`, `missing required option: "device"`), SystemError when a mount fails.
 */

export interface VolumeDriver {
  /** The name it is registered and looked up by (`local`). */
  readonly name: string;
  /** Refuses options the driver does not take; null/empty is always valid. */
  validateOptions(opts: Record<string, string> | null | undefined): void;
  /** Creates the volume's storage; returns its data directory. Idempotent. */
  create(name: string): string;
  exists(name: string): boolean;
  /** The host directory containers bind-mount (inspect `Mountpoint`). */
  dataDir(name: string): string;
  /** Makes the data directory ready for a container (mounts what `opts` describe); idempotent. */
  mount(name: string, opts: Record<string, string> | null): void;
  /** Undoes mount(); idempotent. */
  unmount(name: string): void;
  /** Unmounts and deletes the volume's storage; a missing volume is not an error. */
  remove(name: string): void;
  /**
   * Daemon start: finishes removals a killed daemon cut short (returns the names whose record
   * must go too) and drops empty storage no record knows (`known`).
   */
  recover(known: (name: string) => boolean, log: (msg: string) => void): string[];
  isEmpty(name: string): boolean;
  /** Bytes used by the volume's files (`system df`, prune's SpaceReclaimed). */
  size(name: string): number;
}
