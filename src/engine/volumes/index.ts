/**
 * The volumes service (engine): named and anonymous volumes on the volume drivers, looked up by
 * name (`local`: data under `<data-root>/volumes/<name>/_data`), metadata in SQLite
 * (store/volume-store.ts); each volume's calls go to the driver its record names.
 *
 * The API's volume routes call create/list/inspect/remove/prune; the containers engine calls
 * it as its VolumeProvider (ensure at start, unmount when a run ends, release/removeAnonymous
 * at `rm [-v]`). A volume is in use while any container (created, running or stopped) refers to
 * it; the daemon hands in that query with setUsage(). Events: create, destroy, mount, unmount,
 * prune.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { DriverRegistry } from '../../common/driver-registry.ts';
import type { VolumeDriver } from '../../drivers/volume/contract.ts';
import type { Volume, VolumeCreateRequest } from '../../api/types/volume.ts';
import type { Db } from '../../store/db.ts';
import { VolumeStore, type StoredVolume } from '../../store/volume-store.ts';
import type { EventBus } from '../events/index.ts';
import type { VolumeProvider } from '../containers/index.ts';
import { ANONYMOUS_LABEL, listFilter, pruneFilter, type Filters } from './filters.ts';

export { ANONYMOUS_LABEL } from './filters.ts';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** docker's Volume object (GET /volumes/{name}). */
export type VolumeView = Volume;
export type { VolumeCreateRequest };

export interface VolumesDeps {
  db: Db;
  /** Volume drivers by name (the composition root registers them; `local` is docker's default). */
  drivers: DriverRegistry<VolumeDriver>;
  events: EventBus;
  logger: Logger;
}

export function validateVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new InvalidArgumentError(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stringMap(v: unknown, what: string): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`invalid ${what}: expected an object`);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') throw new InvalidArgumentError(`invalid ${what}: value of "${k}" must be a string`);
  return v as Record<string, string>;
}

export class VolumesService implements VolumeProvider {
  private readonly store: VolumeStore;
  /** Containers whose current run has the volume mounted (driver mounts are counted by this). */
  private readonly active = new Map<string, Set<string>>();
  private usage: ((name: string) => string[]) | undefined;

  constructor(private readonly deps: VolumesDeps) {
    this.store = new VolumeStore(deps.db);
    // Start: a removal a killed daemon cut short is finished (its row goes too).
    for (const driver of deps.drivers.names().map((n) => deps.drivers.get(n))) {
      for (const name of driver.recover((n) => this.store.get(n)?.Driver === driver.name, (m) => deps.logger.warn(m))) {
        if (this.store.get(name)?.Driver === driver.name) this.store.remove(name);
      }
    }
  }

  /** The driver a volume's record names. */
  private driverOf(v: StoredVolume): VolumeDriver {
    return this.deps.drivers.get(v.Driver);
  }

  /** Which containers refer to a volume (the daemon wires the containers service in). */
  setUsage(fn: (name: string) => string[]): void {
    this.usage = fn;
  }

  /** Container ids that use the volume. */
  users(name: string): string[] {
    return this.usage ? this.usage(name) : this.store.refs(name);
  }

  private view(v: StoredVolume): VolumeView {
    return { CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: v.Labels, Mountpoint: this.driverOf(v).dataDir(v.Name), Name: v.Name, Options: v.Options, Scope: 'local' };
  }

  private get(name: string): StoredVolume {
    const v = this.store.get(name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  /** The driver registered as `name`; docker's 404 for an unknown one (`create NAME: ` first when a volume is named). */
  /** Throws docker's 404 for `volume` when no volume driver is registered as `driverName`. */
  checkDriver(driverName: string, volume: string): void {
    this.lookup(driverName, volume);
  }

  private lookup(driverName: string, volume?: string): VolumeDriver {
    try {
      return this.deps.drivers.get(driverName);
    } catch (err) {
      if (volume && err instanceof NotFoundError) throw new NotFoundError(`create ${volume}: ${err.message}`);
      throw err;
    }
  }

  private createLocked(name: string, labels: Record<string, string> | null, options: Record<string, string> | null, driverName = 'local'): { vol: StoredVolume; created: boolean } {
    const existing = this.store.get(name);
    if (existing) return { vol: existing, created: false };
    validateVolumeName(name);
    const driver = this.lookup(driverName, name);
    driver.validateOptions(options);
    const vol: StoredVolume = { Name: name, Driver: driver.name, CreatedAt: rfc3339(new Date()), Labels: labels, Options: options };
    driver.create(name);
    if (!this.store.insert(vol)) return { vol: this.store.get(name)!, created: false };
    this.deps.events.publish('volume', 'create', name, { driver: driver.name });
    return { vol, created: true };
  }

  /** POST /volumes/create: idempotent for an existing name with the same driver. */
  create(req: VolumeCreateRequest): VolumeView {
    if (req.Driver !== undefined && req.Driver !== null && typeof req.Driver !== 'string') throw new InvalidArgumentError('invalid volume driver: expected a string');
    if (req.Name !== undefined && typeof req.Name !== 'string') throw new InvalidArgumentError('invalid volume name: expected a string');
    const name = req.Name || randomBytes(32).toString('hex');
    // Looked up first: an unknown driver is refused even for a name that exists (docker's order).
    const driver = this.lookup(req.Driver || 'local', name);
    return this.view(this.createLocked(name, stringMap(req.Labels, 'labels'), stringMap(req.DriverOpts, 'driver options'), driver.name).vol);
  }

  inspect(name: string): VolumeView {
    return this.view(this.get(name));
  }

  list(filters: Filters): { Volumes: VolumeView[]; Warnings: string[] } {
    const keep = listFilter(filters, (n) => this.users(n).length > 0);
    return { Volumes: this.store.all().filter(keep).map((v) => this.view(v)), Warnings: [] };
  }

  /** DELETE /volumes/{name}: 409 while in use (force only forgives a missing volume). */
  remove(name: string, force = false): void {
    const v = this.store.get(name);
    if (!v) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.users(name);
    if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.destroy(v);
  }

  private destroy(v: StoredVolume): void {
    this.active.delete(v.Name);
    this.driverOf(v).remove(v.Name);
    this.store.remove(v.Name);
    this.deps.events.publish('volume', 'destroy', v.Name, { driver: v.Driver });
  }

  /**
   * POST /volumes/prune: unused volumes, anonymous ones only unless the `all` filter is true;
   * `allVolumes`: named ones too when the filter is not given (docker before API 1.42).
   */
  prune(filters: Filters, opts: { allVolumes?: boolean } = {}): { VolumesDeleted: string[]; SpaceReclaimed: number } {
    const keep = pruneFilter(filters, !!opts.allVolumes);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.store.all()) {
      if (!keep(v) || this.users(v.Name).length) continue;
      const size = this.driverOf(v).size(v.Name);
      try {
        this.destroy(v);
      } catch (err) {
        this.deps.logger.warn(`prune of volume ${v.Name}: ${(err as Error).message}`);
        continue;
      }
      reclaimed += size;
      deleted.push(v.Name);
    }
    this.deps.events.publish('volume', 'prune', '', { reclaimed: String(reclaimed) });
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** `system df`: every volume with its size and how many containers refer to it. */
  diskUsage(): VolumeView[] {
    return this.store.all().map((v) => ({ ...this.view(v), UsageData: { Size: this.driverOf(v).size(v.Name), RefCount: this.users(v.Name).length } }));
  }

  // VolumeProvider (the containers engine).

  ensure(name: string, opts: { anonymous: boolean; containerId: string; labels?: Record<string, string>; driverOpts?: Record<string, string>; driver?: string; destination?: string; rw?: boolean; propagation?: string }): { mountpoint: string; created: boolean } {
    const labels = opts.anonymous ? { ...(opts.labels ?? {}), [ANONYMOUS_LABEL]: '' } : (opts.labels ?? null);
    const { vol, created } = this.createLocked(name, labels, opts.driverOpts ?? null, opts.driver || 'local');
    const users = this.active.get(name) ?? new Set<string>();
    const driver = this.driverOf(vol);
    driver.mount(name, vol.Options);
    users.add(opts.containerId);
    this.active.set(name, users);
    this.store.addRef(name, opts.containerId);
    this.deps.events.publish('volume', 'mount', name, {
      container: opts.containerId, destination: opts.destination ?? '', driver: vol.Driver, propagation: opts.propagation ?? '', 'read/write': String(opts.rw ?? true),
    });
    return { mountpoint: driver.dataDir(name), created };
  }

  isEmpty(name: string): boolean {
    const v = this.store.get(name);
    return v ? this.driverOf(v).isEmpty(name) : true;
  }

  unmount(name: string, containerId: string): void {
    const users = this.active.get(name);
    if (!users?.delete(containerId)) return;
    const vol = this.store.get(name);
    if (!vol) return;
    this.deps.events.publish('volume', 'unmount', name, { container: containerId, driver: vol.Driver });
    if (users.size === 0) {
      this.active.delete(name);
      try {
        this.driverOf(vol).unmount(name);
      } catch (err) {
        this.deps.logger.warn(`unmount of volume ${name}: ${(err as Error).message}`);
      }
    }
  }

  release(name: string, containerId: string): void {
    this.unmount(name, containerId);
    this.store.dropRef(name, containerId);
  }

  /** `rm -v`: removes an anonymous volume unless another container still uses it. */
  removeAnonymous(name: string): void {
    const v = this.store.get(name);
    if (!v || !(v.Labels && ANONYMOUS_LABEL in v.Labels) || this.users(name).length) return;
    this.destroy(v);
  }
}
