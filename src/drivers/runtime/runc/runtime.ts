/**
 * RuncRuntime: the RuntimeDriver over conmon 2.1 + runc 1.1 (MONITOR.md). One conmon per
 * container and per exec; the daemon only spawns short-lived runc calls. All state lives in
 * files under `<execRoot>/runtime/` (layout.ts), so a new instance on the same exec root
 * (daemon restart) finds live containers and their exit codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError } from '../../../common/errors.ts';
import { cgroupDirs, detectCgroupLayout } from '../../../common/cgroups.ts';
import type { ProcessSpec, RuntimeSpec } from '../../../oci/spec-types.ts';
import { runtimeSpecJson } from '../../../oci/rlimits.ts';
import {
  RuntimeError, type AttachStream, type CreateOptions, type LogSpec, type ExecHandle, type ExecOptions, type ExitInfo,
  type RestoreResult, type RuntimeDriver, type RuntimeState, type RuntimeStatus, type RuntimeVersion,
} from '../contract.ts';
import { connectAttach } from './attach.ts';
import { launchConmon, type ConmonLaunch } from './conmon.ts';
import { LogMonitorClient } from './log-monitor-client.ts';
import { ExitWatcher, readExitFile } from './exit-watcher.ts';
import { Layout, checkId } from './layout.ts';
import { cgroupOomKilled, processAlive, readPidFile, rmQuiet, unlinkQuiet, writeCtl } from './proc-files.ts';
import { RuncCli, run, runcError } from './runc-cli.ts';
import { parseConmonVersion, parseRuncVersion, runtimeWarnings } from './version.ts';
import { onlyErrno } from '../../../common/cleanups.ts';
import { isMountPoint, mountAll, unmount, type Mount } from '../../../common/native/mount.ts';

export interface RuncRuntimeOptions {
  /** Daemon exec root (e.g. /run/wharf); the driver owns `<execRoot>/runtime/`. */
  execRoot: string;
  runcBin?: string;
  conmonBin?: string;
  /** cgroup (v1 pids hierarchy) to move each conmon into before it forks, e.g. '/wharf/conmon'. Optional. */
  conmonCgroup?: string;
  /** Told about a cleanup that failed (the daemon logs it and retries it at its next start). */
  onCleanupFailure?: (kind: 'runtime-delete' | 'remove-path', target: string, err: Error) => void;
  /** How to run the json-file log monitor (default: log-monitor-client.ts defaultLogMonitorCommand). */
  logMonitorCommand?: string[];
}

interface BundleMeta {
  tty: boolean;
  rows: number;
  cols: number;
}

/** The first executable `name` on the daemon's PATH (as dockerd finds runc), else the first fallback that exists. */
export function findBinary(name: string, ...fallbacks: string[]): string {
  for (const dir of (process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'))) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch { /* next */ }
  }
  return fallbacks.find((f) => fs.existsSync(f)) ?? fallbacks[0]!;
}

export class RuncRuntime implements RuntimeDriver {
  readonly name = 'runc';
  private readonly layout: Layout;
  private readonly runc: RuncCli;
  private readonly conmonBin: string;
  private readonly exits = new ExitWatcher();
  private readonly waits = new Map<string, Promise<ExitInfo>>();
  private readonly cgroupProcs: string | undefined;
  private readonly logmon: LogMonitorClient;

  constructor(readonly opts: RuncRuntimeOptions) {
    this.layout = new Layout(opts.execRoot);
    this.runc = new RuncCli(opts.runcBin ?? findBinary('runc', '/usr/sbin/runc'), this.layout.runcRoot);
    this.conmonBin = opts.conmonBin ?? findBinary('conmon', '/usr/bin/conmon', '/usr/libexec/podman/conmon');
    this.cgroupProcs = opts.conmonCgroup ? prepareConmonCgroup(opts.conmonCgroup) : undefined;
    this.layout.ensure();
    this.logmon = new LogMonitorClient(path.join(this.layout.base, 'logmon'), opts.logMonitorCommand, this.cgroupProcs);
  }

  private launchBase(): Pick<ConmonLaunch, 'conmonBin' | 'runcBin' | 'runcRoot' | 'socketDir' | 'tmpDir' | 'cgroupProcs'> {
    return {
      conmonBin: this.conmonBin, runcBin: this.runc.bin, runcRoot: this.runc.root,
      socketDir: this.layout.socks, tmpDir: this.layout.tmp, cgroupProcs: this.cgroupProcs,
    };
  }

  async mountRootfs(id: string, mounts: Mount[]): Promise<string> {
    checkId(id);
    const target = this.layout.rootfs(id);
    if (isMountPoint(target)) return target;
    if (mounts.length === 0) throw new ConflictError(`container ${id} has no root filesystem to mount`);
    fs.mkdirSync(target, { recursive: true, mode: 0o700 });
    try {
      mountAll(mounts, target);
    } catch (err) {
      // A partial mount (the first of several) is undone; the empty directory goes.
      for (let i = 0; i < 16 && isMountPoint(target); i++) unmount(target);
      try { fs.rmdirSync(target); } catch { /* kept: retried at the next unmount */ }
      throw err;
    }
    return target;
  }

  rootfsPath(id: string): string {
    checkId(id);
    return this.layout.rootfs(id);
  }

  async unmountRootfs(id: string): Promise<void> {
    checkId(id);
    const target = this.layout.rootfs(id);
    for (let i = 0; i < 16 && isMountPoint(target); i++) unmount(target);
    // rmdir, never a recursive removal: a directory still holding files is a rootfs still mounted.
    try { fs.rmdirSync(target); } catch (err) { onlyErrno(err, 'ENOENT'); }
  }

  async create(id: string, o: CreateOptions): Promise<{ pid: number }> {
    checkId(id);
    // runc keeps one state directory per container: its presence answers without a `runc state` (~7 ms).
    if (this.runcKnows(id) && await this.runc.state(id)) throw new ConflictError(`container ${id} already exists in the runtime`);
    await this.cleanupFiles(id);
    this.waits.delete(id);
    const bundle = this.layout.bundle(id);
    fs.mkdirSync(bundle, { recursive: true, mode: 0o700 });
    const tty = o.tty ?? o.spec.process.terminal === true;
    const spec: RuntimeSpec = { ...o.spec, process: { ...o.spec.process, terminal: tty } };
    fs.writeFileSync(path.join(bundle, 'config.json'), runtimeSpecJson(spec));
    const meta: BundleMeta = { tty, rows: o.consoleSize?.rows ?? 24, cols: o.consoleSize?.cols ?? 80 };
    fs.writeFileSync(path.join(bundle, 'wharf.json'), JSON.stringify(meta));
    const logSpec: LogSpec = o.log ?? (o.logPath ? { driver: 'k8s-file', path: o.logPath } : { driver: 'none' });
    if (logSpec.path) fs.mkdirSync(path.dirname(logSpec.path), { recursive: true });
    fs.mkdirSync(this.layout.persist(id), { recursive: true });
    let msg;
    let holdFd: number | undefined;
    try {
      const log = await this.conmonLog(id, logSpec);
      if (logSpec.driver === 'json-file') holdFd = fs.openSync(log.slice('k8s-file:'.length), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      msg = await launchConmon({
        holdFd,
        ...this.launchBase(), cid: id, cuuid: this.layout.sockName(id), bundle,
        pidFile: this.layout.pidFile(id), log, name: logSpec.driver === 'journald' ? logSpec.name : undefined,
        logTag: logSpec.driver === 'journald' ? logSpec.tag : undefined,
        exitDir: this.layout.exits, syncFile: path.join(bundle, 'sync'), outFile: path.join(bundle, 'conmon.out'),
        persistDir: this.layout.persist(id), conmonPidFile: this.layout.conmonPidFile(id),
        tty, stdin: o.openStdin === true && !tty, leaveStdinOpen: o.openStdin === true && !tty && o.stdinOnce !== true,
      });
    } catch (err) {
      await this.discard(id);
      throw err;
    } finally {
      if (holdFd !== undefined) fs.closeSync(holdFd);
    }
    if (msg.data < 0) {
      await this.discard(id);
      throw runcError('create', id, 1, msg.message ?? '');
    }
    return { pid: msg.data };
  }

  /** conmon's `-l` for a log spec; json-file registers the container's FIFO with the log monitor. */
  private async conmonLog(id: string, l: LogSpec): Promise<string> {
    switch (l.driver) {
      case 'none': return 'none';
      case 'journald': return 'journald';
      case 'k8s-file':
      case 'json-file': {
        if (!l.path) throw new RuntimeError('create', -1, '', `log driver ${l.driver} needs a path`);
        if (l.driver === 'k8s-file') return `k8s-file:${l.path}`;
        const fifo = await this.logmon.prepare(id, { path: l.path, maxSize: l.maxSize, maxFile: l.maxFile, compress: l.compress, conmonPidFile: this.layout.conmonPidFile(id) });
        return `k8s-file:${fifo}`;
      }
      default: throw new RuntimeError('create', -1, '', `unknown log driver ${JSON.stringify((l as LogSpec).driver)}`);
    }
  }

  async syncLog(id: string): Promise<void> {
    checkId(id);
    await this.logmon.flush(id);
  }

  async start(id: string): Promise<void> {
    const meta = this.meta(id);
    if (meta?.tty) writeCtl(path.join(this.layout.bundle(id), 'ctl'), `1 ${meta.rows} ${meta.cols}\n`);
    await this.runc.call('start', id, ['start', id]);
    await untilExecve(readPidFile(this.layout.pidFile(id)));
  }

  async kill(id: string, signal: number | string): Promise<void> {
    const sig = typeof signal === 'number' ? String(signal) : signal.toUpperCase().replace(/^SIG/, '');
    await this.runc.call('kill', id, ['kill', id, sig]);
  }

  async state(id: string): Promise<RuntimeState> {
    const st = await this.runc.state(id);
    if (!st) throw new NotFoundError(`No such container: ${id}`);
    return { id, status: st.status as RuntimeStatus, pid: st.status === 'stopped' ? 0 : st.pid };
  }

  waitExit(id: string): Promise<ExitInfo> {
    let p = this.waits.get(id);
    if (!p) {
      p = this.exits.wait(this.layout.exits, id, () => this.conmonAlive(id)).then(async (f) => {
        // conmon wrote the last output before its exit file: the log holds all of it once this resolves.
        await this.logmon.close(id).catch(() => undefined);
        return { exitCode: f ? f.code : -1, exitedAt: f ? f.at : new Date(), oomKilled: this.oomKilled(id) };
      });
      this.waits.set(id, p);
    }
    return p;
  }

  async pause(id: string): Promise<void> {
    await this.runc.call('pause', id, ['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.runc.call('resume', id, ['resume', id]);
  }

  async delete(id: string, force = false): Promise<void> {
    checkId(id);
    if (!this.runcKnows(id)) {
      await this.cleanupFiles(id);
      await this.unmountRootfs(id);
      this.waits.delete(id);
      return;
    }
    // The exit file is written after the process died: a plain `runc delete` is enough then.
    const st = readExitFile(this.layout.exitFile(id)) ? { status: 'stopped' } : await this.runc.state(id);
    if (st && (st.status === 'running' || st.status === 'paused')) {
      if (!force) throw new ConflictError(`cannot delete container ${id}: it is ${st.status}`);
      // Either may find the process gone already; a real failure shows in the delete below.
      await this.runc.call('kill', id, ['kill', id, 'KILL']).catch(() => undefined);
      if (st.status === 'paused') await this.runc.call('resume', id, ['resume', id]).catch(() => undefined);
      await Promise.race([this.waitExit(id), new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    if (st) {
      const r = await run(this.runc.bin, ['--root', this.runc.root, 'delete', '--force', id]);
      if (r.code !== 0 && (await this.runc.state(id))) throw runcError('delete', id, r.code, r.stderr);
    }
    await this.cleanupFiles(id);
    await this.unmountRootfs(id);
    this.waits.delete(id);
  }

  async attach(id: string): Promise<AttachStream> {
    checkId(id);
    try {
      return await connectAttach(this.layout.attachSocket(id));
    } catch (err) {
      throw new ConflictError('You cannot attach to a stopped container, start it first', { cause: err });
    }
  }

  async reopenLog(id: string): Promise<void> {
    checkId(id);
    // conmon's ctl FIFO: "2 0 0" = reopen the log files.
    if (!writeCtl(path.join(this.layout.bundle(id), 'ctl'), '2 0 0\n')) throw new NotFoundError(`No such container: ${id}`);
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    checkId(id);
    const meta = this.meta(id);
    if (meta) fs.writeFileSync(path.join(this.layout.bundle(id), 'wharf.json'), JSON.stringify({ ...meta, rows, cols }));
    if (!writeCtl(path.join(this.layout.bundle(id), 'ctl'), `1 ${rows} ${cols}\n`)) {
      throw new ConflictError(`Container ${id} is not running`);
    }
  }

  async exec(id: string, execId: string, proc: ProcessSpec, o: ExecOptions = {}): Promise<ExecHandle> {
    checkId(id);
    checkId(execId);
    const dir = this.layout.execDir(id, execId);
    const exitDir = path.join(dir, 'exit');
    fs.mkdirSync(exitDir, { recursive: true, mode: 0o700 });
    const tty = o.tty === true;
    fs.writeFileSync(path.join(dir, 'process.json'), JSON.stringify({ ...proc, terminal: tty }));
    let attach: AttachStream | undefined;
    const cleanup = async () => {
      const sock = path.join(this.layout.socks, this.layout.sockName(execId));
      await Promise.all([unlinkQuiet(sock, this.cleanupFailed(sock)), rmQuiet(dir, this.cleanupFailed(dir))]);
    };
    let msg;
    try {
      msg = await launchConmon({
        ...this.launchBase(), cid: id, cuuid: this.layout.sockName(execId), bundle: dir, pidFile: path.join(dir, 'pid'), log: 'none',
        exitDir, syncFile: path.join(dir, 'sync'), outFile: path.join(dir, 'conmon.out'),
        conmonPidFile: path.join(dir, 'conmon.pid'), tty, stdin: o.attach === true && o.stdin === true && !tty,
        exec: { processSpec: path.join(dir, 'process.json'), attach: o.attach === true },
        onAttachReady: async () => {
          attach = await connectAttach(this.layout.attachSocket(execId));
        },
      });
    } catch (err) {
      attach?.detach();
      await cleanup();
      throw err;
    }
    if (msg.data < 0) {
      attach?.detach();
      await cleanup();
      throw runcError('exec', id, 1, msg.message ?? '');
    }
    if (tty) {
      const rows = o.consoleSize?.rows ?? 24;
      const cols = o.consoleSize?.cols ?? 80;
      writeCtl(path.join(dir, 'ctl'), `1 ${rows} ${cols}\n`);
    }
    const conmonPid = readPidFile(path.join(dir, 'conmon.pid'));
    let exited = false;
    const exit = this.exits.wait(exitDir, id, () => processAlive(conmonPid)).then(async (f) => {
      exited = true;
      await cleanup();
      return f ? f.code : -1;
    });
    const pid = msg.data;
    // conmon reaps the process moments before it writes the exit file: after `exited` the pid may be reused, so no signal then.
    const kill = (signal: number) => { if (!exited) try { process.kill(pid, signal); } catch (err) { onlyErrno(err, 'ESRCH'); /* already gone */ } };
    return { pid, attach, exit, kill };
  }

  async execResize(id: string, execId: string, rows: number, cols: number): Promise<void> {
    checkId(id);
    checkId(execId);
    if (!writeCtl(path.join(this.layout.execDir(id, execId), 'ctl'), `1 ${rows} ${cols}\n`)) {
      throw new ConflictError(`exec ${execId} is not running`);
    }
  }

  async restore(id: string): Promise<RestoreResult> {
    checkId(id);
    const monitorAlive = processAlive(readPidFile(this.layout.conmonPidFile(id)), ['conmon', id]);
    // A json-file log monitor that died meanwhile is started again (it adopts every FIFO).
    if (monitorAlive) await this.logmon.ensure(id).catch(() => undefined);
    const st = await this.runc.state(id);
    if (!st) {
      if (readExitFile(this.layout.exitFile(id))) return { status: 'stopped', pid: 0, monitorAlive };
      throw new NotFoundError(`No such container: ${id}`);
    }
    const status = st.status as RuntimeStatus;
    return { status, pid: status === 'stopped' ? 0 : st.pid, monitorAlive };
  }

  async list(): Promise<RuntimeState[]> {
    const out = await this.runc.call('list', '', ['list', '--format', 'json']);
    const rows = (JSON.parse(out || 'null') ?? []) as { id: string; status: string; pid: number }[];
    return rows.map((r) => ({ id: r.id, status: r.status as RuntimeStatus, pid: r.status === 'stopped' ? 0 : r.pid }));
  }

  async version(): Promise<RuntimeVersion> {
    const r = await run(this.runc.bin, ['--version']);
    if (r.code !== 0) throw new RuntimeError('version', r.code, r.stderr);
    // No conmon (or not executable) reports an empty conmon version; create says why it fails.
    const c = await run(this.conmonBin, ['--version']).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
    const parsed = parseRuncVersion(r.stdout);
    return {
      runcVersion: parsed.version, runcCommit: parsed.commit, specVersion: parsed.spec,
      conmonVersion: parseConmonVersion(c.stdout), warnings: runtimeWarnings(parsed),
    };
  }

  /** Stops watching exit files (daemon shutdown); containers and monitors keep running. */
  close(): void {
    this.exits.close();
    this.logmon.stopWatching();
  }

  /** Whether runc has state for `id` (its directory under --root). */
  private runcKnows(id: string): boolean {
    return fs.existsSync(path.join(this.runc.root, id));
  }

  /** Monitor liveness; a bundle whose conmon has not written its pidfile yet counts as alive. */
  private conmonAlive(id: string): boolean {
    const pid = readPidFile(this.layout.conmonPidFile(id));
    if (pid === 0) return fs.existsSync(path.join(this.layout.bundle(id), 'config.json')) && !fs.existsSync(this.layout.exitFile(id));
    return processAlive(pid, ['conmon', id]);
  }

  private meta(id: string): BundleMeta | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.layout.bundle(id), 'wharf.json'), 'utf8')) as BundleMeta;
    } catch {
      return undefined;
    }
  }

  private oomKilled(id: string): boolean {
    if (fs.existsSync(path.join(this.layout.persist(id), 'oom'))) return true;
    try {
      const spec = JSON.parse(fs.readFileSync(path.join(this.layout.bundle(id), 'config.json'), 'utf8')) as RuntimeSpec;
      return cgroupOomKilled(spec.linux.cgroupsPath);
    } catch {
      return false;
    }
  }

  /** A create that failed half way: no process may survive it. */
  private async discard(id: string): Promise<void> {
    // The create's error is what the caller gets; runc state left behind is retried later.
    try {
      const r = await run(this.runc.bin, ['--root', this.runc.root, 'delete', '--force', id]);
      if (r.code !== 0 && (await this.runc.state(id))) throw runcError('delete', id, r.code, r.stderr);
    } catch (err) {
      this.opts.onCleanupFailure?.('runtime-delete', id, err as Error);
    }
    await this.cleanupFiles(id);
  }

  private async cleanupFiles(id: string): Promise<void> {
    await this.logmon.close(id).catch((e: Error) => this.opts.onCleanupFailure?.('remove-path', this.logmon.streamDir(id), e));
    await Promise.all([
      ...[path.join(this.layout.socks, this.layout.sockName(id)), this.layout.exitFile(id), this.layout.pidFile(id), this.layout.conmonPidFile(id)].map((f) => unlinkQuiet(f, this.cleanupFailed(f))),
      ...[this.layout.bundle(id), this.layout.persist(id)].map((d) => rmQuiet(d, this.cleanupFailed(d))),
    ]);
  }

  /** Reports a runtime file that could not be removed (the daemon logs it and retries it at start). */
  private cleanupFailed(p: string): (err: Error) => void {
    return (err) => this.opts.onCleanupFailure?.('remove-path', p, err);
  }
}

function prepareConmonCgroup(cg: string): string | undefined {
  const d = cgroupDirs(detectCgroupLayout(), cg);
  const dir = d.version === 2 ? d.dir : d.dirs.pids;
  if (!dir) return undefined;
  try {
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, 'cgroup.procs');
  } catch {
    return undefined;
  }
}

/**
 * `runc start` returns once runc's init was told to go: its last steps and the execve of the
 * container's process still lie ahead, and on a busy machine that took up to ~100 ms here. A
 * client that reads logs right after start (docker-py's tests do) must find a process that
 * runs, so start waits, at most 200 ms, until the init (comm `runc:[2:INIT]`) became it.
 */
async function untilExecve(pid: number): Promise<void> {
  if (!pid) return;
  const deadline = Date.now() + 200;
  for (;;) {
    let comm: string;
    try { comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8'); } catch { return; /* gone: it ran */ }
    if (!comm.startsWith('runc:')) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}
