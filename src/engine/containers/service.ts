/**
 * The containers service: the record store, name/id lookup, create, list, inspect, rename,
 * remove and wait. Running things (start/stop/exit/restart policies/live-restore) live in
 * lifecycle.ts; streams (attach/logs) in io.ts; exec in exec.ts.
 */
import { CleanupJournal, isGone } from '../../common/cleanups.ts';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError, isDiskFull } from '../../common/errors.ts';
import { humanDuration } from '../../common/human.ts';
import { ContainerStore } from '../../store/container-store.ts';
import type { Db } from '../../store/db.ts';
import type { ContainersDeps } from './deps.ts';
import { Container, type ContainerHome } from './container.ts';
import { freshState, statusText, type ContainerRecord, type MountPointRecord } from './record.ts';
import { normaliseCreate, validateLogOpts, validateName } from './validate.ts';
import { applyDaemonDefaults } from './daemon-defaults.ts';
import { validateCapabilities, validateSecurityOpt } from '../../oci/index.ts';
import { logLimits } from './log-rotation.ts';
import { checkLogDriver, logPathFor, mergeLogConfig } from './log-config.ts';
import { generateName } from './names.ts';
import { inheritMounts, nameAnonymous, planMounts } from './mounts.ts';
import { findByLinkName, recordLinks, resolveLinks } from './links.ts';
import { plannedEndpoints } from './networking.ts';
import { findNetwork } from './network-drivers.ts';
import { deviceEdits } from './device-requests.ts';
import { mergeHealthcheck, type HealthMonitors } from './health.ts';
import type { HealthConfig } from './record.ts';

/** A container in memory (container.ts): its record, its queue and waiters, its state changes. */
export type Live = Container;

export class ContainerRegistry implements ContainerHome {
  readonly store: ContainerStore<ContainerRecord>;
  readonly live = new Map<string, Live>();
  readonly names = new Map<string, string>();
  /** Where failed cleanups go (docs/reliability.md "Failed cleanups"). */
  readonly cleanups: CleanupJournal;
  /** Healthcheck monitors (set by ContainersService, which owns the exec machinery they use). */
  health?: HealthMonitors;

  constructor(db: Db, readonly deps: ContainersDeps) {
    this.store = new ContainerStore<ContainerRecord>(db);
    this.cleanups = deps.cleanups ?? new CleanupJournal(undefined, deps.logger);
    for (const rec of this.store.all()) this.track(rec);
  }

  track(rec: ContainerRecord): Live {
    const l = new Container(rec, this);
    this.live.set(rec.Id, l);
    this.names.set(rec.Name, rec.Id);
    return l;
  }

  untrack(id: string): void {
    const l = this.live.get(id);
    if (!l) return;
    this.live.delete(id);
    if (this.names.get(l.rec.Name) === id) this.names.delete(l.rec.Name);
  }

  /** Containers whose state could not be saved (a full disk): saved again by the next save that works. */
  readonly #unsaved = new Set<string>();

  save(l: Live): void {
    this.store.save(l.rec);
    this.#unsaved.delete(l.rec.Id);
    this.saveKept();
  }

  /** Writes the state a full disk kept in memory (saveOrKeep); called after each write that works. */
  saveKept(): void {
    for (const id of [...this.#unsaved]) {
      const other = this.live.get(id);
      try {
        if (other) this.store.save(other.rec);
        this.#unsaved.delete(id);
      } catch (err) {
        // Kept for the next one (still full); this container's own save went through.
        if (!isDiskFull(err)) this.deps.logger.error(`saving the kept state of container ${id} failed: ${(err as Error).message}`);
        break;
      }
    }
  }

  /**
   * Saves, unless the disk is full: then the state stays in memory (what the API shows), the
   * failure is logged, and the next save that works writes it too. For state changes that have
   * happened already (an exit, a stop) and must not be lost or block the caller.
   */
  saveOrKeep(l: Live, what: string): void {
    try {
      this.save(l);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.#unsaved.add(l.rec.Id);
      this.deps.logger.error(`recording ${what} of container ${l.rec.Id} failed (kept in memory, saved with the next write that works): ${(err as Error).message}`);
    }
  }

  /** By full id, name (with or without /), link name (`parent/alias`), or unique id prefix — docker's lookup order. */
  get(ref: string): Live {
    const l = this.find(ref);
    if (!l) throw new NotFoundError(`No such container: ${ref}`);
    return l;
  }

  find(ref: string): Live | undefined {
    if (!ref) return undefined;
    const full = this.live.get(ref);
    if (full) return full;
    const byName = this.names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.live.get(byName);
    if (ref.indexOf('/', 1) > 0) return findByLinkName(this, ref);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.live.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
    return matches[0] ? this.live.get(matches[0]) : undefined;
  }

  containerDir(id: string): string {
    return path.join(this.deps.dataRoot, 'containers', id);
  }

  /** Serialise an operation on one container. */
  serial<T>(l: Live, fn: () => Promise<T>): Promise<T> {
    const run = l.queue.then(fn, fn);
    // The caller gets fn's failure through `run`; the queue only orders the next operation.
    l.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Which container (if any) uses an image: rmi's conflict check. */
  containerUsingImage(imageId: string): string | undefined {
    for (const l of this.live.values()) if (l.rec.Image === imageId) return l.rec.Id;
    return undefined;
  }

  counts() {
    let running = 0, paused = 0, stopped = 0;
    for (const l of this.live.values()) {
      if (l.rec.State.Paused) paused++;
      else if (l.rec.State.Running) running++;
      else stopped++;
    }
    return { total: this.live.size, running, paused, stopped };
  }
}

export async function createContainer(reg: ContainerRegistry, body: unknown, nameParam: string | null, opts: { job?: boolean; logPath?: string } = {}): Promise<{ Id: string; Warnings: string[] }> {
  const { config, hostConfig, networking } = normaliseCreate(body);
  applyDaemonDefaults(hostConfig, body, reg.deps);
  validateSecurityOpt(hostConfig.SecurityOpt ?? []);
  hostConfig.LogConfig = mergeLogConfig(hostConfig.LogConfig, reg.deps.logDriver ?? 'json-file', reg.deps.logOpts ?? {});
  validateLogOpts(hostConfig.LogConfig.Type, hostConfig.LogConfig.Config);
  checkLogDriver(hostConfig.LogConfig.Type);
  if (hostConfig.LogConfig.Type !== 'none') {
    logLimits(hostConfig.LogConfig.Config);
    if (hostConfig.LogConfig.Type === 'k8s-file' && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(hostConfig.LogConfig.Config.compress ?? '')) {
      throw new InvalidArgumentError('compress is not supported by the k8s-file log driver');
    }
  }
  validateCapabilities(hostConfig.CapAdd ?? [], hostConfig.CapDrop ?? []);
  // No storage driver of wharf's has per-container quotas: refused, not stored and ignored
  // (dockerd answers the same words with a 500; a client's mistake is a 400 here).
  if (Object.keys(hostConfig.StorageOpt ?? {}).length) {
    const driver = reg.deps.snapshots.name;
    throw new InvalidArgumentError(driver === 'overlay2' ? "--storage-opt is supported only for overlay over xfs with 'pquota' mount option" : `--storage-opt is not supported by the ${driver} storage driver`);
  }
  const name = nameParam ? validateName(nameParam) : generateName((n) => reg.names.has(n));
  if (reg.names.has(name)) {
    throw new ConflictError(`Conflict. The container name "${name}" is already in use by container "${reg.names.get(name)}". You have to remove (or rename) that container to be able to reuse that name.`);
  }
  const image = await reg.deps.images.resolve(config.Image);
  const volumesFrom: MountPointRecord[] = [];
  for (const spec of hostConfig.VolumesFrom ?? []) {
    const [ref] = spec.split(':');
    const src = reg.find(ref!);
    if (!src) throw new InvalidArgumentError(`No such container: ${ref}`);
    volumesFrom.push(...inheritMounts(spec, src.rec.MountPoints));
  }
  const mounts = planMounts(hostConfig, config.Volumes, image.config.Volumes, volumesFrom);
  nameAnonymous(mounts);
  for (const m of mounts) {
    if (m.Type === 'volume' && !m.Anonymous && m.Name) reg.deps.volumes?.create?.({ Name: m.Name, Driver: m.Driver, Labels: m.VolumeOptions?.Labels, DriverOpts: m.VolumeOptions?.DriverOpts });
    // Anonymous volumes are made at start; a driver no one has is refused now, as docker does.
    else if (m.Type === 'volume' && m.Anonymous && m.Name) reg.deps.volumes?.checkDriver?.(m.Driver ?? 'local', m.Name);
  }
  const netMode = hostConfig.NetworkMode;
  const links = resolveLinks(reg, hostConfig);
  if (netMode.startsWith('container:')) {
    const other = reg.find(netMode.slice(10));
    if (!other) throw new InvalidArgumentError(`No such container: ${netMode.slice(10)}`);
  }
  const id = randomBytes(32).toString('hex');
  // An explicit Entrypoint replaces the image's and drops the image's Cmd ([""] clears it).
  const explicitEntrypoint = config.Entrypoint !== null;
  const entrypoint = explicitEntrypoint ? config.Entrypoint!.filter((a, i, all) => !(all.length === 1 && a === '')) : image.config.Entrypoint ?? null;
  const cmd = config.Cmd ?? (explicitEntrypoint ? null : image.config.Cmd ?? null);
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw new InvalidArgumentError('no command specified');
  // --gpus / CDI devices this host cannot give are refused here, so no container is left behind.
  deviceEdits(reg, { HostConfig: hostConfig, Config: { Env: mergeEnv(image.config.Env ?? [], config.Env) } }, '');
  const dir = reg.containerDir(id);
  fs.mkdirSync(dir, { recursive: true, mode: 0o710 });
  const rec: ContainerRecord = {
    Id: id,
    Name: name,
    Created: new Date().toISOString(),
    Path: argv[0]!,
    Args: argv.slice(1),
    Config: {
      ...config,
      Hostname: config.Hostname || (netMode === 'host' ? '' : id.slice(0, 12)),
      Env: mergeEnv(image.config.Env ?? [], config.Env),
      Cmd: cmd,
      Entrypoint: entrypoint,
      WorkingDir: config.WorkingDir || image.config.WorkingDir || '',
      User: config.User || image.config.User || '',
      Labels: { ...(image.config.Labels ?? {}), ...config.Labels },
      StopSignal: config.StopSignal ?? image.config.StopSignal,
      Healthcheck: mergeHealthcheck(config.Healthcheck, image.config.Healthcheck as HealthConfig | undefined),
      ExposedPorts: { ...(image.config.ExposedPorts ?? {}), ...(config.ExposedPorts ?? {}) },
      Volumes: Object.fromEntries(mounts.filter((m) => m.Type === 'volume' && m.Anonymous).map((m) => [m.Destination, {}])),
      OnBuild: null,
    },
    HostConfig: hostConfig,
    Image: image.id,
    State: freshState(),
    RestartCount: 0,
    Driver: reg.deps.snapshots.name,
    Platform: 'linux',
    LogPath: opts.logPath ?? logPathFor(hostConfig.LogConfig.Type, dir, id),
    MountPoints: mounts,
    Endpoints: {},
    Ports: {},
    ManuallyStopped: false,
    HasBeenStarted: false,
    SandboxKey: '',
  };
  if (Object.keys(rec.Config.Volumes ?? {}).length === 0) rec.Config.Volumes = null;
  if (Object.keys(rec.Config.ExposedPorts ?? {}).length === 0) delete rec.Config.ExposedPorts;
  if (!rec.Config.Healthcheck) delete rec.Config.Healthcheck;
  rec.NetworkingRequest = networking;
  recordLinks(rec, links);
  rec.Endpoints = plannedEndpoints(rec, (ref) => findNetwork(reg.deps.networks, ref));
  if (opts.job) rec.Job = true;
  try {
    await reg.deps.snapshots.prepare(id, image.topChainId);
    reg.deps.images.holdLayers?.(id, image.topChainId);
    reg.store.insert(rec);
    reg.saveKept();
  } catch (err) {
    // Undo the half-made container; the create's own error is what the client gets.
    await reg.cleanups.attempt('snapshot-remove', id, () => reg.deps.snapshots.remove(id), isGone);
    reg.deps.images.releaseLayers?.(id);
    reg.cleanups.attemptSync('remove-path', dir, () => fs.rmSync(dir, { recursive: true, force: true }));
    if (/UNIQUE constraint failed: containers.name/.test((err as Error).message)) {
      throw new ConflictError(`Conflict. The container name "${name}" is already in use by container "${reg.store.idByName(name)}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    throw err;
  }
  reg.track(rec);
  reg.deps.events.publish('container', 'create', id, { image: config.Image, name: name.slice(1), ...rec.Config.Labels });
  return { Id: id, Warnings: [] };
}

/** Image env then container env; a later KEY=… replaces an earlier one. */
export function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const k = e.includes('=') ? e.slice(0, e.indexOf('=')) : e;
    out.set(k, e);
  }
  return [...out.values()];
}

export function commandLine(rec: ContainerRecord): string {
  return [rec.Path, ...rec.Args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
}

export function stateStatus(rec: ContainerRecord): string {
  return statusText(rec.State, humanDuration);
}

export async function renameContainer(reg: ContainerRegistry, ref: string, newName: string): Promise<void> {
  const l = reg.get(ref);
  if (!newName) throw new InvalidArgumentError('Neither old nor new names may be empty');
  let name: string;
  try {
    // Checked with its slash, as docker's rename does: "Invalid container name (/bad name), …".
    name = validateName(newName.startsWith('/') ? newName : `/${newName}`);
  } catch (err) {
    throw new InvalidArgumentError(`Error when allocating new name: ${(err as Error).message}`);
  }
  if (name === l.rec.Name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
  const other = reg.names.get(name);
  if (other) throw new ConflictError(`Error when allocating new name: Conflict. The container name "${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`);
  const old = l.rec.Name;
  reg.names.delete(old);
  l.rec.Name = name;
  reg.names.set(name, l.rec.Id);
  l.save();
  reg.deps.events.publish('container', 'rename', l.rec.Id, { name: name.slice(1), oldName: old, image: l.rec.Config.Image });
}

/** `POST /containers/{id}/wait`: resolves with the exit code per docker's conditions. */
export function waitContainer(reg: ContainerRegistry, ref: string, condition: string | null): Promise<{ StatusCode: number; Error: null | { Message: string } }> {
  const cond = condition || 'not-running';
  if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw new InvalidArgumentError(`invalid condition: "${cond}"`);
  const l = reg.get(ref);
  if (cond === 'not-running' && !l.rec.State.Running && !l.rec.State.Restarting) return Promise.resolve({ StatusCode: l.rec.State.ExitCode, Error: null });
  if (cond === 'removed') {
    return new Promise((resolve) => l.removeWaiters.push(() => resolve({ StatusCode: l.rec.State.ExitCode, Error: null })));
  }
  return new Promise((resolve) => l.exitWaiters.push((code) => resolve({ StatusCode: code, Error: null })));
}
