/**
 * Running containers: start (rootfs, volumes, network, spec, runtime), stop/kill/restart,
 * pause, the exit path (state, cleanup, --rm, restart policies) and live-restore at daemon
 * start. Every state change is saved and published as a docker event.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError, NotModifiedError, WharfError } from '../../common/errors.ts';
import { isGone } from '../../common/cleanups.ts';
import { buildRuntimeSpec, resolveUser, type RuntimeSpec } from '../../oci/index.ts';
import { applyDeviceEdits, deviceEdits } from './device-requests.ts';
import { ContainerStartError, type ExitInfo, type LogSpec } from '../../drivers/runtime/contract.ts';
import type { ContainerRegistry, Live } from './service.ts';
import { blkioWeightSupported, containerCgroupPath, detectCgroupLayout } from '../../common/cgroups.ts';
import { ensureBindSources, toOciMounts } from './mounts.ts';
import { prepareVolumes, releaseVolumes } from './volume-use.ts';
import { connectNetworks, disconnectAll, writeStandaloneFiles } from './networking.ts';
import { linkEnv } from './links.ts';
import { parseSignal } from './signals.ts';
import { logLimits, watchLogSize } from './log-rotation.ts';
import { checkLogDriver, runtimeLogSpec, upgradeLegacyLog } from './log-config.ts';

function attrs(l: Live, extra: Record<string, string> = {}): Record<string, string> {
  return l.attrs(extra);
}

export function specPath(reg: ContainerRegistry, id: string): string {
  return path.join(reg.containerDir(id), 'runtime-spec.json');
}

export function loadSpec(reg: ContainerRegistry, id: string): RuntimeSpec {
  return JSON.parse(fs.readFileSync(specPath(reg, id), 'utf8')) as RuntimeSpec;
}

/**
 * `max-size`/`max-file` that the engine enforces itself: only k8s-file logs (conmon's file,
 * renamed here and reopened by conmon); json-file rotates in the runtime's log monitor.
 */
function containerLogLimits(reg: ContainerRegistry, l: Live): ReturnType<typeof logLimits> {
  const lc = l.rec.HostConfig.LogConfig;
  return lc.Type === 'k8s-file' ? logLimits(lc.Config, lc.Type === (reg.deps.logDriver ?? 'json-file') ? reg.deps.logOpts : {}) : undefined;
}

/** What the runtime logs for this container; records made before the daemon merged its log-opts get them now. */
function containerLogSpec(reg: ContainerRegistry, l: Live): LogSpec {
  const lc = l.rec.HostConfig.LogConfig;
  const merged = lc.Type === (reg.deps.logDriver ?? 'json-file') ? { ...lc, Config: { ...(reg.deps.logOpts ?? {}), ...lc.Config } } : lc;
  return runtimeLogSpec(merged, l.rec.LogPath, l.rec.Name);
}

export async function startContainer(reg: ContainerRegistry, ref: string): Promise<void> {
  const l = reg.get(ref);
  await reg.serial(l, () => {
    // In its policy's back-off the container counts as running (docker 20.10: 304, the back-off goes on).
    if (l.rec.State.Restarting) throw new NotModifiedError('container already started');
    // A user's start begins the restart policy afresh (moby's ResetRestartManager).
    if (!l.rec.State.Running) { l.rec.RestartCount = 0; backoff.delete(l); }
    return startLocked(reg, l, false);
  });
}

async function startLocked(reg: ContainerRegistry, l: Live, fromPolicy: boolean): Promise<void> {
  const rec = l.rec;
  if (rec.State.Paused && !fromPolicy) throw new ConflictError('cannot start a paused container, try unpause instead');
  if (rec.State.Running && !rec.State.Restarting) {
    if (fromPolicy) return;
    throw new NotModifiedError('container already started');
  }
  if (rec.State.Status === 'removing' || rec.State.Dead) throw new ConflictError(`container ${rec.Id} is marked for removal and cannot be started`);
  if (l.restartTimer) { clearTimeout(l.restartTimer); l.restartTimer = undefined; }
  const { deps } = reg;
  const id = rec.Id;
  const dir = reg.containerDir(id);
  let spec: RuntimeSpec | undefined;
  try {
    // Refused before anything is mounted or connected: nothing to undo.
    deviceEdits(reg, rec, '');
    const limits = containerLogLimits(reg, l);
    // `local` records from before it was refused keep running as they always did: as json-file.
    if (rec.HostConfig.LogConfig.Type !== 'local') checkLogDriver(rec.HostConfig.LogConfig.Type || 'json-file');
    const log = containerLogSpec(reg, l);
    if (log.driver === 'json-file' && log.path) await upgradeLegacyLog(log.path);
    const rootfs = await deps.runtime.mountRootfs(id, deps.snapshots.mounts(id));
    ensureBindSources(rec.MountPoints);
    prepareVolumes(reg, rec, rootfs);
    const network = await connectNetworks(reg, l);
    if (!network.files) await writeStandaloneFiles(dir, rec);
    // Links' variables first: the container's own env wins (moby ReplaceOrAppendEnvValues).
    const env = [...linkEnv(reg, rec), ...rec.Config.Env];
    const hc = rec.HostConfig;
    const user = resolveUser(rootfs, rec.Config.User || undefined, hc.GroupAdd ?? []);
    const etcMounts = ['hostname', 'hosts', 'resolv.conf'].map((f) => ({ destination: `/etc/${f}`, type: 'bind', source: path.join(dir, f), options: ['rbind', 'rprivate', ...(hc.ReadonlyRootfs ? ['ro'] : [])] }));
    const cgroups = detectCgroupLayout();
    const v1 = cgroups.version === 1;
    spec = buildRuntimeSpec({
      rootfs,
      readonlyRootfs: hc.ReadonlyRootfs,
      args: [rec.Path, ...rec.Args],
      env,
      cwd: rec.Config.WorkingDir || '/',
      user,
      tty: rec.Config.Tty,
      hostname: rec.Config.Hostname,
      capAdd: hc.CapAdd ?? [],
      capDrop: hc.CapDrop ?? [],
      privileged: hc.Privileged,
      securityOpt: hc.SecurityOpt ?? [],
      daemonNoNewPrivileges: deps.noNewPrivileges,
      resources: {
        memory: hc.Memory || undefined,
        memorySwap: hc.MemorySwap || undefined,
        cpuShares: hc.CpuShares || undefined,
        nanoCpus: hc.NanoCpus || undefined,
        cpuQuota: hc.CpuQuota || undefined,
        cpuPeriod: hc.CpuPeriod || undefined,
        pidsLimit: hc.PidsLimit && hc.PidsLimit > 0 ? hc.PidsLimit : undefined,
        cpusetCpus: hc.CpusetCpus || undefined,
        cpusetMems: hc.CpusetMems || undefined,
        memoryReservation: hc.MemoryReservation || undefined,
        // As dockerd: what the host's cgroups cannot take is discarded, not an error of runc's.
        blkioWeight: hc.BlkioWeight && blkioWeightSupported(cgroups) ? hc.BlkioWeight : undefined,
        memorySwappiness: v1 && hc.MemorySwappiness != null && hc.MemorySwappiness >= 0 ? hc.MemorySwappiness : undefined,
        oomKillDisable: v1 && hc.OomKillDisable === true ? true : undefined,
      },
      ulimits: hc.Ulimits ?? [],
      devices: (hc.Devices ?? []).map((d) => `${d.PathOnHost}:${d.PathInContainer || d.PathOnHost}:${d.CgroupPermissions || 'rwm'}`),
      deviceCgroupRules: hc.DeviceCgroupRules ?? [],
      mounts: [...etcMounts, ...toOciMounts(rec.MountPoints)],
      shmSize: hc.ShmSize,
      network: network.mode,
      hostPid: hc.PidMode === 'host',
      hostIpc: hc.IpcMode === 'host',
      hostUts: hc.UTSMode === 'host',
      cgroupns: hc.CgroupnsMode || undefined,
      annotations: hc.Annotations && Object.keys(hc.Annotations).length ? hc.Annotations : undefined,
      maskedPaths: Array.isArray(hc.MaskedPaths) ? hc.MaskedPaths : undefined,
      readonlyPaths: Array.isArray(hc.ReadonlyPaths) ? hc.ReadonlyPaths : undefined,
      pidNsPath: joinedNamespace(reg, hc.PidMode, 'pid'),
      ipcNsPath: joinedNamespace(reg, hc.IpcMode, 'ipc'),
      cgroupsPath: containerCgroupPath(id, hc.CgroupParent),
      sysctls: hc.Sysctls,
      init: hc.Init === true,
      oomScoreAdj: hc.OomScoreAdj || undefined,
    });
    // --gpus and CDI devices (--device vendor.com/class=name): device nodes, driver files, env, hooks.
    applyDeviceEdits(spec, deviceEdits(reg, rec, rootfs));
    fs.writeFileSync(specPath(reg, id) + '.tmp', JSON.stringify(spec));
    fs.renameSync(specPath(reg, id) + '.tmp', specPath(reg, id));
    const [rows, cols] = hc.ConsoleSize ?? [0, 0];
    const created = await deps.runtime.create(id, {
      spec, tty: rec.Config.Tty, openStdin: rec.Config.OpenStdin, stdinOnce: rec.Config.StdinOnce, log,
      consoleSize: rows && cols ? { rows, cols } : undefined,
    });
    // Attach requests made before start connect now, so no output is lost.
    for (const p of l.pendingAttach.splice(0)) {
      const a = await deps.runtime.attach(id).catch((e: Error) => { deps.logger.warn(`attach to ${id}: ${e.message}`); return undefined; });
      p(a);
    }
    const exited = deps.runtime.waitExit(id);
    await deps.runtime.start(id);
    if (limits) l.stopLogWatch = watchLogSize(rec.LogPath, limits, () => deps.runtime.reopenLog(id), (e) => deps.logger.warn(`log rotation of container ${id}: ${e.message}`));
    l.started(created.pid, () => reg.health?.start(l, true));
    void exited.then((info) => onExit(reg, l, info), (err) => deps.logger.error(`waiting for container ${id} failed: ${(err as Error).message}`))
      .catch((e: Error) => deps.logger.error(`handling the exit of container ${id} failed: ${e.message}`));
  } catch (err) {
    await cleanupAfterRun(reg, l);
    const code = err instanceof ContainerStartError ? err.containerExitCode : 128;
    l.startFailed(code, (err as Error).message, rec.HasBeenStarted || fromPolicy);
    for (const p of l.pendingAttach.splice(0)) p(undefined);
    // No `die` event: the process never ran (docker 20.10 publishes nothing for a failed start).
    for (const w of l.exitWaiters.splice(0)) w(code);
    if (rec.HostConfig.AutoRemove) {
      setImmediate(() => {
        void import('./remove.ts').then(({ removeContainer }) => removeContainer(reg, id, { force: true, volumes: true }))
          .catch((e: Error) => { if (!isGone(e)) deps.logger.warn(`auto-remove (--rm) of container ${id}: ${e.message}`); });
      });
    }
    if (err instanceof WharfError) throw err;
    throw new ContainerStartError((err as Error).message, code, '');
  }
}

/** Runtime state, network and rootfs mount of a container that is not running any more. */
async function cleanupAfterRun(reg: ContainerRegistry, l: Live): Promise<void> {
  const { deps } = reg;
  const id = l.rec.Id;
  reg.health?.stop(l);
  l.stopLogWatch?.();
  l.stopLogWatch = undefined;
  await reg.cleanups.attempt('runtime-delete', id, () => deps.runtime.delete(id, true));
  releaseVolumes(reg, l.rec);
  await disconnectAll(reg, l).catch((e) => deps.logger.warn(`network cleanup of ${id}: ${(e as Error).message}`));
  await deps.runtime.unmountRootfs(id).catch((e) => deps.logger.warn(`unmount of ${id}: ${(e as Error).message}`));
  // A root an earlier wharf mounted at the snapshot's own directory (a live-restored container).
  await deps.snapshots.unmount(id).catch((e) => deps.logger.warn(`unmount of ${id}: ${(e as Error).message}`));
}

async function onExit(reg: ContainerRegistry, l: Live, info: ExitInfo): Promise<void> {
  const { deps } = reg;
  const rec = l.rec;
  await reg.serial(l, async () => {
    if (!reg.live.has(rec.Id)) return;
    await cleanupAfterRun(reg, l);
    const restart = !rec.HostConfig.AutoRemove && shouldRestart(l, info.exitCode);
    // `oom`/`die` events; as docker, RestartCount counts at the exit and the backoff window shows
    // "restarting". A full disk (SQLITE_FULL) must not lose the exit: the state stays in memory,
    // waiters are answered, and the next container save that works writes it.
    l.exited(info, restart);
    for (const w of l.exitWaiters.splice(0)) w(info.exitCode);
    if (restart) scheduleRestart(reg, l);
  });
  if (rec.HostConfig.AutoRemove && reg.live.has(rec.Id)) {
    const { removeContainer } = await import('./remove.ts');
    await removeContainer(reg, rec.Id, { force: true, volumes: true }).catch((e) => deps.logger.warn(`auto-remove of ${rec.Id}: ${(e as Error).message}`));
  }
}

function shouldRestart(l: Live, exitCode: number): boolean {
  const p = l.rec.HostConfig.RestartPolicy;
  // `stopping`: a stop, or a kill that ends the container for good (moby's ExitOnNext).
  if (l.stopping) return false;
  switch (p.Name) {
    case 'always': return true;
    case 'unless-stopped': return !l.rec.ManuallyStopped;
    case 'on-failure': return exitCode !== 0 && (p.MaximumRetryCount === 0 || l.rec.RestartCount < p.MaximumRetryCount);
    default: return false;
  }
}

/**
 * Each container's restart back-off, kept as moby's restartmanager keeps it (in memory): 100 ms,
 * doubled at each restart up to a minute, 100 ms again after a run of 10 s or more; a user's
 * start or restart, and a daemon start, begin afresh.
 */
const backoff = new WeakMap<Live, number>();

function scheduleRestart(reg: ContainerRegistry, l: Live): void {
  const ranFor = Date.parse(l.rec.State.FinishedAt) - Date.parse(l.rec.State.StartedAt);
  const last = ranFor >= 10_000 ? 0 : backoff.get(l) ?? 0;
  const delay = last === 0 ? 100 : Math.min(last * 2, 60_000);
  backoff.set(l, delay);
  l.restartTimer = setTimeout(() => {
    l.restartTimer = undefined;
    // A stop, kill or forced remove during the backoff cancels the restart (cancelRestart).
    const due = () => reg.live.has(l.rec.Id) && l.rec.State.Restarting;
    if (!due()) return;
    void reg.serial(l, async () => { if (due()) await startLocked(reg, l, true); }).catch((e) => reg.deps.logger.warn(`restart of ${l.rec.Id} failed: ${(e as Error).message}`));
  }, delay);
}

/**
 * `docker kill`: SIGKILL (the default) answers once the exit is recorded, as moby's
 * daemon.Kill waits for the container to stop; other signals answer once sent. SIGKILL and the
 * stop signal (any signal when none is set) also thaw a paused one so the signal lands.
 */
export async function killContainer(reg: ContainerRegistry, ref: string, signal: string | null): Promise<void> {
  const l = reg.get(ref);
  const sig = parseSignal(signal ?? undefined, 'SIGKILL');
  if (!l.rec.State.Running || l.rec.State.Restarting) {
    if (l.rec.State.Restarting) { cancelRestart(reg, l); return; }
    throw new ConflictError(`Cannot kill container: ${ref}: Container ${l.rec.Id} is not running`);
  }
  // As docker 20.10: SIGKILL, the configured stop signal, or any signal when none is configured
  // ends the container for good (no policy restart: ExitOnNext); any kill is the user's stop
  // (unless-stopped then restarts neither at its exit nor at a daemon start).
  const stopSignal = l.rec.Config.StopSignal;
  const stops = sig === 9 || !stopSignal || sig === parseSignal(stopSignal, 'SIGTERM');
  if (stops) l.stopping = true;
  l.rec.ManuallyStopped = true;
  reg.save(l);
  const exited = sig === 9 ? new Promise<void>((r) => l.exitWaiters.push(() => r())) : undefined;
  let gone = false;
  try {
    await reg.deps.runtime.kill(l.rec.Id, sig);
  } catch (e) {
    // Exited between our check and the signal: as docker, not an error; its exit is on the way.
    if (!(e instanceof ConflictError)) throw e;
    gone = true;
  }
  if (stops && !gone && l.rec.State.Paused) await reg.deps.runtime.resume(l.rec.Id).catch((e) => reg.deps.logger.warn(`unpause of ${l.rec.Id} after kill: ${(e as Error).message}`));
  reg.deps.events.publish('container', 'kill', l.rec.Id, attrs(l, { signal: String(sig) }));
  if (exited) await waitOrTimeout(exited, KILL_WAIT_MS);
}

/** How long a SIGKILL waits for the exit to be recorded before answering anyway. */
const KILL_WAIT_MS = 30_000;

async function waitOrTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

/** Ends a restart-policy backoff: the container stays exited (stop, kill, forced remove). */
export function cancelRestart(reg: ContainerRegistry, l: Live): void {
  if (l.restartTimer) clearTimeout(l.restartTimer);
  l.restartTimer = undefined;
  l.restartEnded(true);
}

/** SIGTERM (or the stop signal), then SIGKILL after `timeout` seconds. */
export async function stopContainer(reg: ContainerRegistry, ref: string, timeout: number | undefined, signal?: string | null): Promise<void> {
  const l = reg.get(ref);
  if (l.rec.State.Restarting) { cancelRestart(reg, l); return; }
  if (!l.rec.State.Running) throw new NotModifiedError('container already stopped');
  await stopLive(reg, l, timeout, signal ?? undefined);
}

/** `stopEvent: false`: no `stop` event (rm -f, which docker does with a kill). */
export async function stopLive(reg: ContainerRegistry, l: Live, timeout: number | undefined, signal?: string, stopEvent = true): Promise<void> {
  const rec = l.rec;
  l.stopping = true;
  rec.ManuallyStopped = true;
  // A container that filled the disk must still be stoppable: the flag is kept in memory and
  // saved with the exit state.
  reg.saveOrKeep(l, 'the stop');
  if (!rec.State.Running) return;
  const exited = new Promise<void>((r) => l.exitWaiters.push(() => r()));
  const t = timeout ?? rec.Config.StopTimeout ?? 10;
  const sig = parseSignal(signal ?? rec.Config.StopSignal ?? undefined, 'SIGTERM');
  // The process may exit on its own meanwhile: "not running" / "no such container" are expected.
  const signalled = (what: string) => (e: Error) => { if (!notRunning(e)) reg.deps.logger.warn(`${what} of container ${rec.Id}: ${e.message}`); };
  if (rec.State.Paused) await reg.deps.runtime.resume(rec.Id).catch(signalled('resume before stop'));
  if (t !== 0) {
    await reg.deps.runtime.kill(rec.Id, sig).catch(signalled(`stop signal ${sig}`));
    reg.deps.events.publish('container', 'kill', rec.Id, attrs(l, { signal: String(sig) }));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = t < 0 ? exited.then(() => false) : Promise.race([exited.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), t * 1000); })]);
    const late = await timedOut;
    clearTimeout(timer);
    if (!late) { reg.deps.events.publish('container', 'stop', rec.Id, attrs(l)); return; }
  }
  await reg.deps.runtime.kill(rec.Id, 9).catch(signalled('SIGKILL'));
  reg.deps.events.publish('container', 'kill', rec.Id, attrs(l, { signal: '9' }));
  await waitOrTimeout(exited, KILL_WAIT_MS);
  if (stopEvent) reg.deps.events.publish('container', 'stop', rec.Id, attrs(l));
}

export async function restartContainer(reg: ContainerRegistry, ref: string, timeout: number | undefined, signal?: string | null): Promise<void> {
  const l = reg.get(ref);
  if (l.rec.State.Running && !l.rec.State.Restarting) await stopLive(reg, l, timeout, signal ?? undefined);
  await reg.serial(l, async () => {
    l.rec.RestartCount = 0;
    backoff.delete(l);
    await startLocked(reg, l, true);
  });
  reg.deps.events.publish('container', 'restart', l.rec.Id, attrs(l));
}

export async function pauseContainer(reg: ContainerRegistry, ref: string, opts: { forCommit?: boolean } = {}): Promise<void> {
  const l = reg.get(ref);
  if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
  if (l.rec.State.Paused) throw new ConflictError(`Container ${l.rec.Id} is already paused`);
  if (l.rec.State.Restarting) throw new ConflictError(`Container ${l.rec.Id} is restarting, wait until the container is running`);
  // Saved before the freeze: a daemon killed during the commit thaws the container at its next start.
  if (opts.forCommit) {
    l.rec.CommitPause = true;
    reg.save(l);
  }
  try {
    await reg.deps.runtime.pause(l.rec.Id);
  } catch (err) {
    if (l.rec.CommitPause) {
      delete l.rec.CommitPause;
      reg.save(l);
    }
    throw err;
  }
  reg.health?.stop(l);
  l.paused();
}

export async function unpauseContainer(reg: ContainerRegistry, ref: string): Promise<void> {
  const l = reg.get(ref);
  if (!l.rec.State.Paused) throw new ConflictError(`Container ${l.rec.Id} is not paused`);
  await reg.deps.runtime.resume(l.rec.Id);
  l.unpaused(() => reg.health?.start(l, false));
}

/**
 * Daemon start: re-find running containers (live-restore) or record their exit, then apply
 * restart policies (SECURITY-CHECKS appendix B).
 */
export async function restoreContainers(reg: ContainerRegistry, liveRestore: boolean): Promise<void> {
  const { deps } = reg;
  const toStart: Live[] = [];
  // A start killed between `runtime.create` (or `start`) and the saved running state leaves a
  // runtime container the record does not know as running: it goes (its process with it), so
  // the container starts again like any created or exited one.
  for (const st of await deps.runtime.list().catch((err: Error) => { deps.logger.warn(`runtime list: ${err.message}`); return []; })) {
    const l = reg.live.get(st.id);
    if (l && l.rec.State.Running && !l.rec.State.Restarting) continue;
    if (!l && !/^[0-9a-f]{64}$/.test(st.id)) continue;
    await deps.runtime.delete(st.id, true).catch((err: Error) => deps.logger.warn(`removing runtime leftover ${st.id}: ${err.message}`));
    if (l) await deps.runtime.unmountRootfs(st.id).catch(() => undefined);
    if (l) await deps.snapshots.unmount(st.id).catch(() => undefined);
  }
  await Promise.all([...reg.live.values()].map(async (l) => {
    const rec = l.rec;
    if (rec.State.Running && !rec.State.Restarting) {
      let alive = false;
      try {
        const r = await deps.runtime.restore(rec.Id);
        alive = r.status === 'running' || r.status === 'paused';
        if (alive && !liveRestore) {
          await deps.runtime.kill(rec.Id, 9).catch((e: Error) => { if (!notRunning(e)) deps.logger.warn(`live-restore off: SIGKILL of container ${rec.Id}: ${e.message}`); });
          alive = true;
        }
        if (alive) {
          let paused = r.status === 'paused';
          // Paused by a commit the kill cut short (not by the user): thawed again.
          if (rec.CommitPause && paused) await deps.runtime.resume(rec.Id).then(() => { paused = false; }, (e: Error) => deps.logger.warn(`resume of ${rec.Id}: ${e.message}`));
          l.restored(r.pid, paused);
        }
      } catch (err) {
        deps.logger.warn(`restore of ${rec.Id}: ${(err as Error).message}`);
      }
      if (alive) {
        let limits: ReturnType<typeof logLimits>;
        try { limits = containerLogLimits(reg, l); } catch (e) { deps.logger.warn(`log limits of ${rec.Id}: ${(e as Error).message}`); }
        if (limits) l.stopLogWatch = watchLogSize(rec.LogPath, limits, () => deps.runtime.reopenLog(rec.Id), (e) => deps.logger.warn(`log rotation of container ${rec.Id}: ${e.message}`));
        if (liveRestore && !rec.State.Paused) reg.health?.start(l, false);
        void deps.runtime.waitExit(rec.Id).then((info) => onExit(reg, l, info), (err) => deps.logger.error(`waiting for container ${rec.Id}: ${(err as Error).message}`))
          .catch((e: Error) => deps.logger.error(`handling the exit of container ${rec.Id} failed: ${e.message}`));
        return;
      }
      // Exited while we were away and we could not learn more.
      const info = await deps.runtime.waitExit(rec.Id).catch((e: Error) => {
        deps.logger.warn(`container ${rec.Id} exited while the daemon was down and its exit status is lost (${e.message}): recorded as 137`);
        return { exitCode: 137, exitedAt: new Date(), oomKilled: false };
      });
      await onExit(reg, l, info);
      return;
    }
    // Killed while waiting for its policy's restart (any policy, on-failure included): the
    // policy had decided, so it restarts now.
    const wasRestarting = rec.State.Restarting;
    if (wasRestarting) l.restartEnded(false);
    if (rec.Removing) return; // being removed: finishRemovals ends it
    const p = rec.HostConfig.RestartPolicy.Name;
    if (rec.HasBeenStarted && (wasRestarting || p === 'always' || (p === 'unless-stopped' && !rec.ManuallyStopped))) toStart.push(l);
  }));
  for (const l of toStart) {
    l.rec.ManuallyStopped = false;
    void reg.serial(l, () => startLocked(reg, l, true)).catch((e) => deps.logger.warn(`restart of ${l.rec.Id} at daemon start failed: ${(e as Error).message}`));
  }
}

/** A signal to a process that is gone already: runc's "not running" (409) or "does not exist" (404). */
function notRunning(err: unknown): boolean {
  return err instanceof ConflictError || err instanceof NotFoundError;
}

/** `container:X` pid/ipc modes: the namespace of X's process (X must run), as docker's --pid/--ipc container:X. */
function joinedNamespace(reg: ContainerRegistry, mode: string | undefined, kind: 'pid' | 'ipc'): string | undefined {
  if (!mode?.startsWith('container:')) return undefined;
  const other = reg.find(mode.slice(10));
  if (!other) throw new NotFoundError(`No such container: ${mode.slice(10)}`);
  if (!other.rec.State.Running || !other.rec.State.Pid) throw new ConflictError(`cannot join ${kind} namespace of a non running container: ${other.rec.Id}`);
  return `/proc/${other.rec.State.Pid}/ns/${kind}`;
}
