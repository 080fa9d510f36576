/**
 * Running containers: start (rootfs, volumes, network, spec, runtime), stop/kill/restart,
 * pause, the exit path (state, cleanup, --rm, restart policies) and live-restore at daemon
 * start. Every state change is saved and published as a docker event.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, InvalidArgumentError, NotModifiedError, WharfError } from '../../common/errors.ts';
import { buildRuntimeSpec, resolveUser, type RuntimeSpec } from '../../oci/index.ts';
import { ContainerStartError, type ExitInfo } from '../../drivers/runtime/contract.ts';
import type { ContainerRegistry, Live } from './service.ts';
import { ensureBindSources, resolveInRoot, toOciMounts } from './mounts.ts';
import { connectNetworks, disconnectAll, writeStandaloneFiles } from './networking.ts';
import { parseSignal } from './signals.ts';
import { logLimits, watchLogSize } from './log-rotation.ts';

function now(): string {
  return new Date().toISOString();
}

function attrs(l: Live, extra: Record<string, string> = {}): Record<string, string> {
  return { image: l.rec.Config.Image, name: l.rec.Name.slice(1), ...l.rec.Config.Labels, ...extra };
}

export function specPath(reg: ContainerRegistry, id: string): string {
  return path.join(reg.containerDir(id), 'runtime-spec.json');
}

export function loadSpec(reg: ContainerRegistry, id: string): RuntimeSpec {
  return JSON.parse(fs.readFileSync(specPath(reg, id), 'utf8')) as RuntimeSpec;
}

export async function startContainer(reg: ContainerRegistry, ref: string): Promise<void> {
  const l = reg.get(ref);
  await reg.serial(l, () => startLocked(reg, l, false));
}

async function startLocked(reg: ContainerRegistry, l: Live, fromPolicy: boolean): Promise<void> {
  const rec = l.rec;
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
    checkDeviceRequests(rec.HostConfig.DeviceRequests);
    const rootfs = await deps.snapshots.mount(id);
    ensureBindSources(rec.MountPoints);
    for (const m of rec.MountPoints) {
      if (m.Type !== 'volume') continue;
      if (!deps.volumes) throw new InvalidArgumentError('volumes are not available in this daemon');
      const v = deps.volumes.ensure(m.Name!, { anonymous: !!m.Anonymous, containerId: id, destination: m.Destination, rw: m.RW, propagation: m.Propagation, labels: m.VolumeOptions?.Labels, driverOpts: m.VolumeOptions?.DriverOpts });
      m.Source = v.mountpoint;
      if (m.Mode !== 'nocopy' && deps.volumes.isEmpty(m.Name!)) copyUp(resolveInRoot(rootfs, m.Destination), v.mountpoint);
    }
    const network = await connectNetworks(reg, l);
    if (!network.files) writeStandaloneFiles(dir, rec);
    const user = resolveUser(rootfs, rec.Config.User || undefined);
    const hc = rec.HostConfig;
    const etcMounts = ['hostname', 'hosts', 'resolv.conf'].map((f) => ({ destination: `/etc/${f}`, type: 'bind', source: path.join(dir, f), options: ['rbind', 'rprivate', ...(hc.ReadonlyRootfs ? ['ro'] : [])] }));
    spec = buildRuntimeSpec({
      rootfs,
      readonlyRootfs: hc.ReadonlyRootfs,
      args: [rec.Path, ...rec.Args],
      env: rec.Config.Env,
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
      },
      ulimits: hc.Ulimits ?? [],
      devices: (hc.Devices ?? []).map((d) => `${d.PathOnHost}:${d.PathInContainer || d.PathOnHost}:${d.CgroupPermissions || 'rwm'}`),
      mounts: [...etcMounts, ...toOciMounts(rec.MountPoints)],
      shmSize: hc.ShmSize,
      network: network.mode,
      hostPid: hc.PidMode === 'host',
      hostIpc: hc.IpcMode === 'host',
      hostUts: hc.UTSMode === 'host',
      cgroupsPath: `/wharf/${id}`,
      sysctls: hc.Sysctls,
      init: hc.Init === true,
      oomScoreAdj: hc.OomScoreAdj || undefined,
    });
    fs.writeFileSync(specPath(reg, id) + '.tmp', JSON.stringify(spec));
    fs.renameSync(specPath(reg, id) + '.tmp', specPath(reg, id));
    const [rows, cols] = hc.ConsoleSize ?? [0, 0];
    const created = await deps.runtime.create(id, {
      spec, tty: rec.Config.Tty, openStdin: rec.Config.OpenStdin, stdinOnce: rec.Config.StdinOnce, logPath: rec.LogPath,
      consoleSize: rows && cols ? { rows, cols } : undefined,
    });
    // Attach requests made before start connect now, so no output is lost.
    for (const p of l.pendingAttach.splice(0)) {
      const a = await deps.runtime.attach(id).catch((e: Error) => { deps.logger.warn(`attach to ${id}: ${e.message}`); return undefined; });
      p(a);
    }
    const exited = deps.runtime.waitExit(id);
    await deps.runtime.start(id);
    const limits = logLimits(rec.HostConfig.LogConfig.Config, deps.logOpts);
    if (limits) l.stopLogWatch = watchLogSize(rec.LogPath, limits, () => deps.runtime.reopenLog(id));
    rec.State = { ...rec.State, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: created.pid, ExitCode: 0, Error: '', StartedAt: now() };
    rec.HasBeenStarted = true;
    rec.ManuallyStopped = false;
    l.stopping = false;
    reg.health?.start(l, true);
    reg.save(l);
    deps.events.publish('container', 'start', id, attrs(l));
    void exited.then((info) => onExit(reg, l, info), (err) => deps.logger.error(`waiting for container ${id} failed: ${(err as Error).message}`));
  } catch (err) {
    await cleanupAfterRun(reg, l);
    const code = err instanceof ContainerStartError ? err.containerExitCode : 128;
    rec.State = { ...rec.State, Status: rec.HasBeenStarted || fromPolicy ? 'exited' : 'created', Running: false, Restarting: false, Pid: 0, ExitCode: code, Error: (err as Error).message };
    if (rec.State.Status === 'exited') rec.State.FinishedAt = now();
    reg.save(l);
    for (const p of l.pendingAttach.splice(0)) p(undefined);
    deps.events.publish('container', 'die', id, attrs(l, { exitCode: String(code) }));
    for (const w of l.exitWaiters.splice(0)) w(code);
    if (rec.HostConfig.AutoRemove) {
      setImmediate(() => {
        void import('./remove.ts').then(({ removeContainer }) => removeContainer(reg, id, { force: true, volumes: true })).catch(() => undefined);
      });
    }
    if (err instanceof WharfError) throw err;
    throw new ContainerStartError((err as Error).message, code, '');
  }
}

function copyUp(src: string, dst: string): void {
  let st: fs.Stats;
  try { st = fs.lstatSync(src); } catch { return; }
  if (!st.isDirectory()) return;
  fs.cpSync(src, dst, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: false, errorOnExist: false });
  const top = fs.statSync(src);
  fs.chmodSync(dst, top.mode & 0o7777);
  fs.chownSync(dst, top.uid, top.gid);
  chownTree(src, dst);
}

function chownTree(src: string, dst: string): void {
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    const st = fs.lstatSync(s);
    try { fs.lchownSync(d, st.uid, st.gid); } catch { /* best effort */ }
    // chown clears setuid/setgid: put the image's mode back.
    if (!st.isSymbolicLink()) try { fs.chmodSync(d, st.mode & 0o7777); } catch { /* best effort */ }
    if (e.isDirectory()) chownTree(s, d);
  }
}

/** Runtime state, network and rootfs mount of a container that is not running any more. */
async function cleanupAfterRun(reg: ContainerRegistry, l: Live): Promise<void> {
  const { deps } = reg;
  const id = l.rec.Id;
  reg.health?.stop(l);
  l.stopLogWatch?.();
  l.stopLogWatch = undefined;
  await deps.runtime.delete(id, true).catch(() => undefined);
  for (const m of l.rec.MountPoints) {
    if (m.Type !== 'volume' || !m.Name) continue;
    try { deps.volumes?.unmount?.(m.Name, id); } catch (e) { deps.logger.warn(`unmount of volume ${m.Name}: ${(e as Error).message}`); }
  }
  await disconnectAll(reg, l).catch((e) => deps.logger.warn(`network cleanup of ${id}: ${(e as Error).message}`));
  await deps.snapshots.unmount(id).catch((e) => deps.logger.warn(`unmount of ${id}: ${(e as Error).message}`));
}

async function onExit(reg: ContainerRegistry, l: Live, info: ExitInfo): Promise<void> {
  const { deps } = reg;
  const rec = l.rec;
  await reg.serial(l, async () => {
    if (!reg.live.has(rec.Id)) return;
    await cleanupAfterRun(reg, l);
    rec.State = { ...rec.State, Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: info.exitCode, OOMKilled: info.oomKilled, FinishedAt: info.exitedAt.toISOString() };
    if (info.oomKilled) deps.events.publish('container', 'oom', rec.Id, attrs(l));
    deps.events.publish('container', 'die', rec.Id, attrs(l, { exitCode: String(info.exitCode) }));
    const restart = !rec.HostConfig.AutoRemove && shouldRestart(l, info.exitCode);
    if (restart) {
      rec.State.Restarting = true;
      rec.State.Status = 'restarting';
      rec.State.Running = true;
    }
    reg.save(l);
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
  if (l.stopping || l.rec.ManuallyStopped) return false;
  switch (p.Name) {
    case 'always': case 'unless-stopped': return true;
    case 'on-failure': return exitCode !== 0 && (p.MaximumRetryCount === 0 || l.rec.RestartCount < p.MaximumRetryCount);
    default: return false;
  }
}

function scheduleRestart(reg: ContainerRegistry, l: Live): void {
  const ranFor = Date.parse(l.rec.State.FinishedAt) - Date.parse(l.rec.State.StartedAt);
  const attempt = ranFor > 10_000 ? 0 : Math.min(l.rec.RestartCount, 9);
  const delay = Math.min(100 * 2 ** attempt, 60_000);
  l.restartTimer = setTimeout(() => {
    l.restartTimer = undefined;
    if (!reg.live.has(l.rec.Id) || !l.rec.State.Restarting) return;
    l.rec.RestartCount++;
    void reg.serial(l, () => startLocked(reg, l, true)).catch((e) => reg.deps.logger.warn(`restart of ${l.rec.Id} failed: ${(e as Error).message}`));
  }, delay);
}

export async function killContainer(reg: ContainerRegistry, ref: string, signal: string | null): Promise<void> {
  const l = reg.get(ref);
  const sig = parseSignal(signal ?? undefined, 'SIGKILL');
  if (!l.rec.State.Running || l.rec.State.Restarting) {
    if (l.rec.State.Restarting) { cancelRestart(reg, l); return; }
    throw new ConflictError(`Container ${l.rec.Id} is not running`);
  }
  const stopSig = parseSignal(l.rec.Config.StopSignal ?? undefined, 'SIGTERM');
  if (sig === stopSig || sig === 9) { l.stopping = true; l.rec.ManuallyStopped = sig === stopSig ? true : l.rec.ManuallyStopped; }
  if (sig === 9) l.rec.ManuallyStopped = true;
  reg.save(l);
  await reg.deps.runtime.kill(l.rec.Id, sig);
  reg.deps.events.publish('container', 'kill', l.rec.Id, attrs(l, { signal: String(sig) }));
}

function cancelRestart(reg: ContainerRegistry, l: Live): void {
  if (l.restartTimer) clearTimeout(l.restartTimer);
  l.restartTimer = undefined;
  l.rec.State = { ...l.rec.State, Status: 'exited', Running: false, Restarting: false };
  l.rec.ManuallyStopped = true;
  reg.save(l);
}

/** SIGTERM (or the stop signal), then SIGKILL after `timeout` seconds. */
export async function stopContainer(reg: ContainerRegistry, ref: string, timeout: number | undefined, signal?: string | null): Promise<void> {
  const l = reg.get(ref);
  if (l.rec.State.Restarting) { cancelRestart(reg, l); return; }
  if (!l.rec.State.Running) throw new NotModifiedError('container already stopped');
  await stopLive(reg, l, timeout, signal ?? undefined);
}

export async function stopLive(reg: ContainerRegistry, l: Live, timeout: number | undefined, signal?: string): Promise<void> {
  const rec = l.rec;
  l.stopping = true;
  rec.ManuallyStopped = true;
  reg.save(l);
  if (!rec.State.Running) return;
  const exited = new Promise<void>((r) => l.exitWaiters.push(() => r()));
  const t = timeout ?? rec.Config.StopTimeout ?? 10;
  const sig = parseSignal(signal ?? rec.Config.StopSignal ?? undefined, 'SIGTERM');
  if (rec.State.Paused) await reg.deps.runtime.resume(rec.Id).catch(() => undefined);
  if (t !== 0) {
    await reg.deps.runtime.kill(rec.Id, sig).catch(() => undefined);
    reg.deps.events.publish('container', 'kill', rec.Id, attrs(l, { signal: String(sig) }));
    const timedOut = t < 0 ? exited.then(() => false) : Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), t * 1000))]);
    if (!(await timedOut)) { reg.deps.events.publish('container', 'stop', rec.Id, attrs(l)); return; }
  }
  await reg.deps.runtime.kill(rec.Id, 9).catch(() => undefined);
  reg.deps.events.publish('container', 'kill', rec.Id, attrs(l, { signal: '9' }));
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  reg.deps.events.publish('container', 'stop', rec.Id, attrs(l));
}

export async function restartContainer(reg: ContainerRegistry, ref: string, timeout: number | undefined, signal?: string | null): Promise<void> {
  const l = reg.get(ref);
  if (l.rec.State.Running && !l.rec.State.Restarting) await stopLive(reg, l, timeout, signal ?? undefined);
  await reg.serial(l, async () => {
    await startLocked(reg, l, true);
  });
  reg.deps.events.publish('container', 'restart', l.rec.Id, attrs(l));
}

export async function pauseContainer(reg: ContainerRegistry, ref: string): Promise<void> {
  const l = reg.get(ref);
  if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
  if (l.rec.State.Paused) throw new ConflictError(`Container ${l.rec.Id} is already paused`);
  await reg.deps.runtime.pause(l.rec.Id);
  reg.health?.stop(l);
  l.rec.State = { ...l.rec.State, Paused: true, Status: 'paused' };
  reg.save(l);
  reg.deps.events.publish('container', 'pause', l.rec.Id, attrs(l));
}

export async function unpauseContainer(reg: ContainerRegistry, ref: string): Promise<void> {
  const l = reg.get(ref);
  if (!l.rec.State.Paused) throw new ConflictError(`Container ${l.rec.Id} is not paused`);
  await reg.deps.runtime.resume(l.rec.Id);
  l.rec.State = { ...l.rec.State, Paused: false, Status: 'running' };
  reg.health?.start(l, false);
  reg.save(l);
  reg.deps.events.publish('container', 'unpause', l.rec.Id, attrs(l));
}

/**
 * Daemon start: re-find running containers (live-restore) or record their exit, then apply
 * restart policies (SECURITY-CHECKS appendix B).
 */
export async function restoreContainers(reg: ContainerRegistry, liveRestore: boolean): Promise<void> {
  const { deps } = reg;
  const toStart: Live[] = [];
  await Promise.all([...reg.live.values()].map(async (l) => {
    const rec = l.rec;
    if (rec.State.Running && !rec.State.Restarting) {
      let alive = false;
      try {
        const r = await deps.runtime.restore(rec.Id);
        alive = r.status === 'running' || r.status === 'paused';
        if (alive && !liveRestore) {
          await deps.runtime.kill(rec.Id, 9).catch(() => undefined);
          alive = true;
        }
        if (alive) {
          rec.State.Pid = r.pid || rec.State.Pid;
          rec.State.Paused = r.status === 'paused';
        }
      } catch (err) {
        deps.logger.warn(`restore of ${rec.Id}: ${(err as Error).message}`);
      }
      if (alive) {
        const limits = logLimits(rec.HostConfig.LogConfig.Config, deps.logOpts);
        if (limits) l.stopLogWatch = watchLogSize(rec.LogPath, limits, () => deps.runtime.reopenLog(rec.Id));
        if (liveRestore && !rec.State.Paused) reg.health?.start(l, false);
        void deps.runtime.waitExit(rec.Id).then((info) => onExit(reg, l, info), (err) => deps.logger.error(`waiting for container ${rec.Id}: ${(err as Error).message}`));
        return;
      }
      // Exited while we were away and we could not learn more.
      const info = await deps.runtime.waitExit(rec.Id).catch(() => ({ exitCode: 137, exitedAt: new Date(), oomKilled: false }));
      await onExit(reg, l, info);
      return;
    }
    if (rec.State.Restarting) {
      rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false };
      reg.save(l);
    }
    const p = rec.HostConfig.RestartPolicy.Name;
    if (rec.HasBeenStarted && (p === 'always' || (p === 'unless-stopped' && !rec.ManuallyStopped))) toStart.push(l);
  }));
  for (const l of toStart) {
    l.rec.ManuallyStopped = false;
    void reg.serial(l, () => startLocked(reg, l, true)).catch((e) => deps.logger.warn(`restart of ${l.rec.Id} at daemon start failed: ${(e as Error).message}`));
  }
}

/** `--gpus`: accepted, but only satisfiable where the host has NVIDIA devices. */
function checkDeviceRequests(reqs: { Driver?: string; Capabilities?: string[][] }[] | null | undefined): void {
  for (const r of reqs ?? []) {
    const caps = (r.Capabilities ?? []).flat();
    if (!caps.includes('gpu') && r.Driver !== 'nvidia') continue;
    const hasGpu = fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/nvidiactl');
    if (!hasGpu) throw new InvalidArgumentError(`could not select device driver "${r.Driver ?? ''}" with capabilities: ${JSON.stringify(r.Capabilities ?? []).replace(/"/g, '').replace(/,/g, ' ')}: no GPU devices found on this host`);
  }
}
