/**
 * An in-memory RuntimeDriver (src/drivers/runtime/contract.ts) for the engine's unit tests:
 * no runc, no conmon, no root. Each container is a small state machine
 * (created → running ⇄ paused → stopped) whose process the test controls:
 *
 *   const rt = new FakeRuntime();
 *   rt.exit(id, 3);                       // the process exits with 3 (waitExit resolves)
 *   rt.exit(id, 137, { oomKilled: true }) // … killed by the OOM killer
 *   rt.behave(id, { ignore: [15] });      // SIGTERM is ignored (PID 1 without a handler)
 *   rt.behave(id, { startDelayMs: 50, failStart: new Error('boom') });
 *   rt.write(id, 'stdout', 'hi\n');       // output: attach streams and the k8s-file log
 *
 * The command is interpreted just enough to make the common cases need no control at all:
 * `true`, `false`, `exit N`, `echo …`, `sleep N` (a timer) and `;`-separated lists of those
 * inside `sh -c '…'`; anything else runs until a signal or `exit()` ends it. A program whose
 * name is not in KNOWN fails at create as runc does (ContainerStartError 127, docker's text).
 * Signals: SIGKILL always ends the process (137); other terminating signals end it with
 * 128+N unless `ignore`d; signals to a paused container wait for resume (SIGKILL does not).
 * Rootfs: mountRootfs records the Mount[] in `rootfs` (nothing is mounted) and answers the
 * source of its one bind mount (the fake snapshots' directory); delete forgets it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../src/common/errors.ts';
import { encodeJsonLogLine, rfc3339NanoUtc } from '../../src/common/json-log.ts';
import {
  ContainerStartError, type AttachStream, type CreateOptions, type ExecHandle, type ExecOptions, type ExitInfo,
  type Mount, type RestoreResult, type RuntimeDriver, type RuntimeState, type RuntimeStatus, type RuntimeVersion,
} from '../../src/drivers/runtime/contract.ts';
import type { ProcessSpec } from '../../src/oci/spec-types.ts';

/** Programs the fake "finds in $PATH" (anything else fails at create with 127). */
export const KNOWN = new Set(['sh', '/bin/sh', 'true', 'false', 'sleep', 'top', 'cat', 'echo', 'exit', 'env', 'ls', 'id', 'hostname', 'fake']);

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, CHLD: 17, CONT: 18, STOP: 19, WINCH: 28 };
/** Signals whose default action does not end the process. */
const HARMLESS = new Set([0, 17, 18, 19, 28]);

export interface Behaviour {
  /** Signals the process ignores (never SIGKILL). */
  ignore?: number[];
  /** start() takes this long (a slow `runc start`). */
  startDelayMs?: number;
  /** create() fails with this error (ContainerStartError for a bad command, say). */
  failCreate?: Error;
  /** start() fails with this error; the runtime container is left `created`, as runc leaves it. */
  failStart?: Error;
  /** Exit code the process ends with right after start (overrides the interpreted command). */
  exitOnStart?: number;
  /** Exits by the OOM killer right after start (137, oomKilled). */
  oomOnStart?: boolean;
}

export interface FakeProcess {
  id: string;
  status: RuntimeStatus;
  pid: number;
  opts: CreateOptions;
  signals: number[];
  /** Signals sent while paused, delivered at resume. */
  pending: number[];
  exitInfo?: ExitInfo;
  readonly exited: Promise<ExitInfo>;
  resolveExit: (e: ExitInfo) => void;
  attaches: FakeAttach[];
  /** Everything written to the container's stdin through any attach. */
  stdin: string;
  tty: { rows: number; cols: number };
  timers: NodeJS.Timeout[];
  logReopens: number;
}

export class FakeAttach implements AttachStream {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin = new PassThrough();
  readonly closed: Promise<void>;
  #close!: () => void;
  #done = false;
  constructor(onInput: (s: string) => void) {
    this.closed = new Promise((r) => { this.#close = r; });
    this.stdin.on('data', (c: Buffer) => onInput(c.toString()));
  }
  /** The process side: its output ended (exit) or the client detached. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.stdout.end();
    this.stderr.end();
    this.#close();
  }
  detach(): void { this.end(); }
}

interface FakeExec {
  id: string;
  execId: string;
  pid: number;
  args: string[];
  attach?: FakeAttach;
  exit: Promise<number>;
  resolve: (code: number) => void;
  done: boolean;
  tty: { rows: number; cols: number };
}

type Step = { echo: string; stream: 'stdout' | 'stderr' } | { exit: number } | { sleep: number } | { forever: true };

/** Enough of `sh -c` for tests: `true`, `false`, `exit N`, `echo …` (`>&2`), `sleep N`. */
export function interpret(args: string[]): Step[] {
  if (args.length === 0) return [{ forever: true }];
  const prog = path.posix.basename(args[0]!);
  const script = prog === 'sh' && args[1] === '-c' ? args[2] ?? '' : args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
  const steps: Step[] = [];
  for (const raw of script.split(/;|&&|\n/).map((s) => s.trim()).filter(Boolean)) {
    const words = raw.split(/\s+/);
    const cmd = path.posix.basename(words[0]!);
    if (cmd === 'true') continue;
    if (cmd === 'false') { steps.push({ exit: 1 }); return steps; }
    if (cmd === 'exit') { steps.push({ exit: Number(words[1] ?? 0) }); return steps; }
    if (cmd === 'echo') {
      const toErr = /\s>&2\s*$/.test(raw);
      const text = raw.replace(/\s>&2\s*$/, '').slice(raw.indexOf('echo') + 4).trim().replace(/^(['"])(.*)\1$/, '$2');
      steps.push({ echo: text + '\n', stream: toErr ? 'stderr' : 'stdout' });
      continue;
    }
    if (cmd === 'sleep' && words[1] && words[1] !== 'infinity' && Number(words[1]) < 5) { steps.push({ sleep: Number(words[1]) * 1000 }); continue; }
    steps.push({ forever: true });
    return steps;
  }
  steps.push({ exit: 0 });
  return steps;
}

export function signalNumber(signal: number | string): number {
  if (typeof signal === 'number') return signal;
  const s = signal.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(s)) return Number(s);
  const n = SIGNALS[s];
  if (n === undefined) throw new InvalidArgumentError(`invalid signal: ${signal}`);
  return n;
}

export class FakeRuntime implements RuntimeDriver {
  readonly name = 'fake';
  readonly procs = new Map<string, FakeProcess>();
  readonly execs = new Map<string, FakeExec>();
  /** Every driver call, in order: `create <id>`, `kill <id> 15`, … (for ordering assertions). */
  readonly calls: string[] = [];
  readonly #behaviour = new Map<string, Behaviour>();
  #nextPid = 1000;

  /** Sets how the container `id` behaves from its next create on (merged with earlier settings). */
  behave(id: string, b: Behaviour): void {
    this.#behaviour.set(id, { ...this.#behaviour.get(id), ...b });
  }

  /** Behaviour for every container (a test's default), overridden per id by behave(). */
  defaults: Behaviour = {};

  private b(id: string): Behaviour {
    return { ...this.defaults, ...this.#behaviour.get(id) };
  }

  private get(id: string): FakeProcess {
    const p = this.procs.get(id);
    if (!p) throw new NotFoundError(`No such container: ${id}`);
    return p;
  }

  /** Container id → the Mount[] its rootfs was "mounted" from (mountRootfs until unmountRootfs/delete). */
  readonly rootfs = new Map<string, Mount[]>();

  async mountRootfs(id: string, mounts: Mount[]): Promise<string> {
    const m = this.rootfs.get(id) ?? mounts;
    if (m.length !== 1 || !m[0]!.options.includes('rbind')) throw new InvalidArgumentError(`the fake runtime mounts one bind mount, not ${JSON.stringify(m)}`);
    this.rootfs.set(id, m);
    return m[0]!.source;
  }

  rootfsPath(id: string): string {
    return this.rootfs.get(id)?.[0]?.source ?? `/fake-rootfs/${id}`;
  }

  async unmountRootfs(id: string): Promise<void> {
    this.rootfs.delete(id);
  }

  async create(id: string, opts: CreateOptions): Promise<{ pid: number }> {
    this.calls.push(`create ${id}`);
    const old = this.procs.get(id);
    if (old && old.status !== 'stopped') throw new ConflictError(`container ${id} already exists in the runtime`);
    const b = this.b(id);
    if (b.failCreate) throw b.failCreate;
    const prog = opts.spec.process.args[0] ?? '';
    if (!KNOWN.has(prog) && !KNOWN.has(path.posix.basename(prog))) {
      throw new ContainerStartError(`OCI runtime create failed: runc create failed: unable to start container process: exec: "${prog}": executable file not found in $PATH: unknown`, 127, '');
    }
    let resolveExit!: (e: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => { resolveExit = r; });
    const p: FakeProcess = {
      id, status: 'created', pid: this.#nextPid++, opts, signals: [], pending: [], exited, resolveExit, attaches: [], stdin: '',
      tty: opts.consoleSize ?? { rows: 24, cols: 80 }, timers: [], logReopens: 0,
    };
    this.procs.set(id, p);
    if (opts.logPath) fs.mkdirSync(path.dirname(opts.logPath), { recursive: true });
    return { pid: p.pid };
  }

  async start(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
    const p = this.get(id);
    if (p.status !== 'created') throw new ConflictError(`cannot start a container that has stopped`);
    const b = this.b(id);
    if (b.startDelayMs) await new Promise((r) => setTimeout(r, b.startDelayMs));
    if (b.failStart) throw b.failStart;
    p.status = 'running';
    if (b.oomOnStart) { setImmediate(() => this.exitIfLive(p, 137, { oomKilled: true })); return; }
    if (b.exitOnStart !== undefined) { const code = b.exitOnStart; setImmediate(() => this.exitIfLive(p, code)); return; }
    this.run(p, interpret(p.opts.spec.process.args));
  }

  /** Plays the interpreted steps (output, short sleeps, the exit). */
  private run(p: FakeProcess, steps: Step[]): void {
    const next = (i: number): void => {
      if (p.status === 'stopped') return;
      const s = steps[i];
      if (!s || 'forever' in s) return;
      if ('echo' in s) { this.write(p.id, s.stream, s.echo); next(i + 1); return; }
      if ('sleep' in s) { p.timers.push(setTimeout(() => next(i + 1), s.sleep)); return; }
      this.exitIfLive(p, s.exit);
    };
    // After start returns, as a real process runs after `runc start`.
    setImmediate(() => next(0));
  }

  /** The container's process writes `text` (to attach streams and the k8s-file log). */
  write(id: string, stream: 'stdout' | 'stderr', text: string): void {
    const p = this.get(id);
    const s = p.opts.tty ? 'stdout' : stream;
    for (const a of p.attaches) a[s].write(text);
    const log = p.opts.log ?? (p.opts.logPath ? { driver: 'k8s-file' as const, path: p.opts.logPath } : undefined);
    if (log?.path && log.driver === 'k8s-file') {
      const now = new Date().toISOString();
      const lines = text.split(/(?<=\n)/).map((l) => `${now} ${s} ${l.endsWith('\n') ? 'F' : 'P'} ${l.replace(/\n$/, '')}\n`);
      fs.appendFileSync(log.path, lines.join(''));
    } else if (log?.path && log.driver === 'json-file') {
      const now = rfc3339NanoUtc(new Date());
      fs.appendFileSync(log.path, text.split(/(?<=\n)/).map((l) => encodeJsonLogLine(s, l, now)).join(''));
    }
  }

  /** The process ends with `code` (as its own exit, a crash or a signal's 128+N). */
  exit(id: string, code: number, o: { oomKilled?: boolean; at?: Date } = {}): void {
    const p = this.get(id);
    if (p.status === 'stopped') return;
    if (p.status === 'created') throw new ConflictError(`container ${id} has not started`);
    p.status = 'stopped';
    for (const t of p.timers) clearTimeout(t);
    p.exitInfo = { exitCode: code, exitedAt: o.at ?? new Date(), oomKilled: o.oomKilled === true };
    for (const a of p.attaches.splice(0)) a.end();
    for (const ex of this.execs.values()) if (ex.id === id && !ex.done) this.finishExec(ex.execId, 137);
    p.resolveExit(p.exitInfo);
  }

  /**
   * The daemon went away and a new driver instance took over the same runtime state: the old
   * daemon's waitExit() promises never resolve (its process is gone); containers keep running.
   */
  daemonRestarted(): void {
    for (const p of this.procs.values()) {
      if (p.exitInfo) continue;
      let resolveExit!: (e: ExitInfo) => void;
      (p as { exited: Promise<ExitInfo> }).exited = new Promise<ExitInfo>((r) => { resolveExit = r; });
      p.resolveExit = resolveExit;
    }
  }

  /** An exit from the process's own timeline: nothing when it was deleted meanwhile. */
  private exitIfLive(p: FakeProcess, code: number, o: { oomKilled?: boolean } = {}): void {
    if (this.procs.get(p.id) === p && p.status !== 'stopped') this.exit(p.id, code, o);
  }

  /** The OOM killer ends the container (exit 137, oomKilled). */
  oom(id: string): void {
    this.exit(id, 137, { oomKilled: true });
  }

  async kill(id: string, signal: number | string): Promise<void> {
    const sig = signalNumber(signal);
    this.calls.push(`kill ${id} ${sig}`);
    const p = this.get(id);
    if (p.status !== 'running' && p.status !== 'paused') throw new ConflictError(`Container ${id} is not running`);
    p.signals.push(sig);
    if (p.status === 'paused' && sig !== 9) { p.pending.push(sig); return; }
    this.deliver(p, sig);
  }

  private deliver(p: FakeProcess, sig: number): void {
    if (sig === 9) { setImmediate(() => this.exitIfLive(p, 137)); return; }
    if (HARMLESS.has(sig) || (this.b(p.id).ignore ?? []).includes(sig)) return;
    setImmediate(() => this.exitIfLive(p, 128 + sig));
  }

  async state(id: string): Promise<RuntimeState> {
    const p = this.get(id);
    return { id, status: p.status, pid: p.status === 'stopped' ? 0 : p.pid };
  }

  waitExit(id: string): Promise<ExitInfo> {
    const p = this.procs.get(id);
    if (!p) return Promise.reject(new NotFoundError(`No such container: ${id}`));
    return p.exited;
  }

  async pause(id: string): Promise<void> {
    this.calls.push(`pause ${id}`);
    const p = this.get(id);
    if (p.status === 'paused') throw new ConflictError(`Container ${id} is paused`);
    if (p.status !== 'running') throw new ConflictError(`Container ${id} is not running`);
    p.status = 'paused';
  }

  async resume(id: string): Promise<void> {
    this.calls.push(`resume ${id}`);
    const p = this.get(id);
    if (p.status !== 'paused') throw new ConflictError(`Container ${id} is not paused`);
    p.status = 'running';
    for (const sig of p.pending.splice(0)) this.deliver(p, sig);
  }

  async delete(id: string, force = false): Promise<void> {
    this.calls.push(`delete ${id}${force ? ' force' : ''}`);
    const p = this.procs.get(id);
    if (!p) { this.rootfs.delete(id); return; }
    if (p.status === 'running' || p.status === 'paused') {
      if (!force) throw new ConflictError(`cannot delete container ${id}: it is ${p.status}`);
      this.exit(id, 137);
    }
    for (const a of p.attaches.splice(0)) a.end();
    this.procs.delete(id);
    this.rootfs.delete(id);
  }

  async attach(id: string): Promise<AttachStream> {
    const p = this.procs.get(id);
    if (!p || p.status === 'stopped') throw new ConflictError('You cannot attach to a stopped container, start it first');
    const a = new FakeAttach((s) => { p.stdin += s; });
    p.attaches.push(a);
    void a.closed.then(() => { const i = p.attaches.indexOf(a); if (i >= 0) p.attaches.splice(i, 1); });
    return a;
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    const p = this.procs.get(id);
    if (!p || p.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    p.tty = { rows, cols };
  }

  /** Logs are written synchronously by write(): nothing is ever pending. */
  async syncLog(id: string): Promise<void> {
    if (!this.procs.has(id)) throw new NotFoundError(`No such container: ${id}`);
  }

  async reopenLog(id: string): Promise<void> {
    const p = this.procs.get(id);
    if (!p || p.status === 'stopped') throw new NotFoundError(`No such container: ${id}`);
    p.logReopens++;
  }

  async exec(id: string, execId: string, proc: ProcessSpec, opts: ExecOptions = {}): Promise<ExecHandle> {
    this.calls.push(`exec ${id} ${execId}`);
    const p = this.procs.get(id);
    if (!p || (p.status !== 'running' && p.status !== 'paused')) throw new ConflictError(`Container ${id} is not running`);
    if (p.status === 'paused') throw new ConflictError(`Container ${id} is paused, unpause the container before exec`);
    const prog = proc.args[0] ?? '';
    if (!KNOWN.has(prog) && !KNOWN.has(path.posix.basename(prog))) {
      throw new ContainerStartError(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${prog}": executable file not found in $PATH: unknown`, 127, '');
    }
    let resolve!: (n: number) => void;
    const exit = new Promise<number>((r) => { resolve = r; });
    const ex: FakeExec = { id, execId, pid: this.#nextPid++, args: proc.args, exit, resolve, done: false, tty: opts.consoleSize ?? { rows: 24, cols: 80 } };
    if (opts.attach) ex.attach = new FakeAttach(() => undefined);
    this.execs.set(execId, ex);
    const steps = interpret(proc.args);
    const next = (i: number): void => {
      if (ex.done) return;
      const s = steps[i];
      if (!s || 'forever' in s) return;
      if ('echo' in s) { ex.attach?.[opts.tty ? 'stdout' : s.stream].write(s.echo); next(i + 1); return; }
      if ('sleep' in s) { setTimeout(() => next(i + 1), s.sleep); return; }
      this.finishExec(execId, s.exit);
    };
    setImmediate(() => next(0));
    return {
      pid: ex.pid, attach: ex.attach, exit,
      kill: (signal: number) => { if (!ex.done && !HARMLESS.has(signal)) this.finishExec(execId, 128 + signal); },
    };
  }

  /** The exec'd process ends with `code`. */
  finishExec(execId: string, code: number): void {
    const ex = this.execs.get(execId);
    if (!ex || ex.done) return;
    ex.done = true;
    ex.attach?.end();
    this.execs.delete(execId);
    ex.resolve(code);
  }

  async execResize(id: string, execId: string, rows: number, cols: number): Promise<void> {
    const ex = this.execs.get(execId);
    if (!ex || ex.id !== id) throw new ConflictError(`exec ${execId} is not running`);
    ex.tty = { rows, cols };
  }

  async restore(id: string): Promise<RestoreResult> {
    const p = this.get(id);
    return { status: p.status, pid: p.status === 'stopped' ? 0 : p.pid, monitorAlive: true };
  }

  async list(): Promise<RuntimeState[]> {
    return [...this.procs.values()].map((p) => ({ id: p.id, status: p.status, pid: p.status === 'stopped' ? 0 : p.pid }));
  }

  async version(): Promise<RuntimeVersion> {
    return { runcVersion: '1.1.12-fake', runcCommit: 'fake', specVersion: '1.0.2', conmonVersion: '2.1.0-fake', warnings: [] };
  }
}
