/**
 * Exec instances: `POST /containers/{id}/exec` records one, `POST /exec/{id}/start` runs it
 * through the runtime's monitor (attached and framed like attach, or detached), and
 * `GET /exec/{id}/json` reports its exit code. Finished instances are kept a while for inspect.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import { buildExecProcess, resolveUser } from '../../oci/index.ts';
import { frame } from '../../api/types/stdcopy.ts';
import type { ContainerRegistry } from './service.ts';
import { loadSpec } from './lifecycle.ts';
import { DetachScanner, parseDetachKeys } from './detach-keys.ts';
import type { ClientStream } from './io.ts';
import { mergeEnv } from './service.ts';
import type { ProbeRunner } from './health.ts';
import type { AttachStream, ExecHandle } from '../../drivers/runtime/contract.ts';

interface ExecRecord {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  Tty: boolean;
  DetachKeys: string;
  Cmd: string[];
  Env: string[];
  User: string;
  WorkingDir: string;
  Privileged: boolean;
  ConsoleSize?: [number, number];
  started: boolean;
}

/**
 * The exit file can be seen before the attach socket delivered the last output: after the
 * exit, wait for conmon to close the socket (it does once drained), bounded in case it hangs.
 */
async function drained(a: AttachStream, done: Promise<void>): Promise<void> {
  await Promise.race([a.closed, done.then(() => new Promise((r) => setTimeout(r, 2000).unref()))]);
  await done;
  await new Promise((r) => setImmediate(r));
}

export class ExecManager implements ProbeRunner {
  private readonly execs = new Map<string, ExecRecord>();
  constructor(private readonly reg: ContainerRegistry) {}

  create(ref: string, body: Record<string, unknown> | undefined): { Id: string } {
    const l = this.reg.get(ref);
    if (!l.rec.State.Running || l.rec.State.Restarting) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    if (l.rec.State.Paused) throw new ConflictError(`Container ${l.rec.Id} is paused, unpause the container before exec`);
    const b = body ?? {};
    const cmd = b.Cmd;
    if (!Array.isArray(cmd) || cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    const env = Array.isArray(b.Env) ? (b.Env as string[]) : [];
    for (const e of env) if (e === '' || e.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable: ${e}`);
    const wd = typeof b.WorkingDir === 'string' ? b.WorkingDir : '';
    if (wd && !wd.startsWith('/')) throw new InvalidArgumentError(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
    if (b.DetachKeys) parseDetachKeys(String(b.DetachKeys));
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      ID: id, ContainerID: l.rec.Id, Running: false, ExitCode: null, Pid: 0,
      OpenStdin: !!b.AttachStdin, OpenStdout: !!b.AttachStdout, OpenStderr: !!b.AttachStderr, Tty: !!b.Tty,
      DetachKeys: typeof b.DetachKeys === 'string' ? b.DetachKeys : '', Cmd: cmd.map(String), Env: env,
      User: typeof b.User === 'string' ? b.User : '', WorkingDir: wd, Privileged: !!b.Privileged,
      ConsoleSize: Array.isArray(b.ConsoleSize) ? (b.ConsoleSize as [number, number]) : undefined, started: false,
    });
    this.reg.deps.events.publish('container', `exec_create: ${cmd.join(' ')}`, l.rec.Id, { image: l.rec.Config.Image, name: l.rec.Name.slice(1), execID: id });
    return { Id: id };
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    return {
      ID: e.ID, Running: e.Running, ExitCode: e.ExitCode, ProcessConfig: { tty: e.Tty, entrypoint: e.Cmd[0], arguments: e.Cmd.slice(1), privileged: e.Privileged, user: e.User },
      OpenStdin: e.OpenStdin, OpenStderr: e.OpenStderr, OpenStdout: e.OpenStdout, CanRemove: false, ContainerID: e.ContainerID, DetachKeys: e.DetachKeys, Pid: e.Pid,
    };
  }

  /** Runs the exec; with a client stream it is attached, else detached. Resolves at exit (attached) or start (detached). */
  async start(id: string, opts: { detach: boolean; tty?: boolean; consoleSize?: [number, number] }, client?: ClientStream): Promise<void> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const tty = opts.tty ?? e.Tty;
    const attach = !opts.detach && !!client;
    const { handle, done } = await this.launch(e, { tty, attach, stdin: attach && e.OpenStdin, size: opts.consoleSize ?? e.ConsoleSize });
    void done.then(() => setTimeout(() => this.execs.delete(id), 5 * 60_000).unref());
    if (!attach || !handle.attach || !client) return;
    const a = handle.attach;
    const send = (s: 1 | 2, d: Buffer) => { if (!client.isClosed) client.write(tty ? d : frame(s, d)); };
    if (e.OpenStdout || tty) a.stdout.on('data', (d: Buffer) => send(1, d)); else a.stdout.resume();
    if (e.OpenStderr || tty) a.stderr.on('data', (d: Buffer) => send(2, d)); else a.stderr.resume();
    let detached = false;
    if (e.OpenStdin) {
      const scanner = new DetachScanner(parseDetachKeys(e.DetachKeys || undefined));
      client.input.on('data', (c: Buffer) => {
        if (detached) return;
        const { forward, detach } = scanner.push(c);
        if (forward.length) a.stdin.write(forward);
        if (detach) { detached = true; a.detach(); }
      });
      client.input.on('end', () => { if (!detached) a.stdin.end(); });
    }
    void client.closed.then(() => { if (!detached) { detached = true; a.detach(); } });
    await drained(a, done);
    client.end();
  }

  /**
   * A healthcheck probe (health.ts): an exec of cmd as the container's user in its working
   * dir, stdout and stderr captured together up to maxOutput bytes ("..." marks a cut, as
   * docker's limited buffer does). Its record is dropped once it ended; kill() sends SIGKILL.
   */
  probe(containerId: string, cmd: string[], maxOutput: number): { result: Promise<{ exitCode: number; output: string }>; kill(): void } {
    let killed = false;
    let handle: ExecHandle | undefined;
    const result = (async () => {
      const rec = this.reg.get(containerId).rec;
      const { Id } = this.create(containerId, { Cmd: cmd, AttachStdout: true, AttachStderr: true, User: rec.Config.User, WorkingDir: rec.Config.WorkingDir });
      try {
        const e = this.get(Id);
        const chunks: Buffer[] = [];
        let len = 0;
        let truncated = false;
        const collect = (d: Buffer) => {
          const keep = Math.min(maxOutput - len, d.length);
          if (keep > 0) { chunks.push(Buffer.from(d.subarray(0, keep))); len += keep; }
          if (keep < d.length) truncated = true;
        };
        if (killed) throw new ConflictError('health check cancelled');
        const launched = await this.launch(e, { tty: false, attach: true, stdin: false });
        handle = launched.handle;
        if (killed) handle.kill?.(9);
        handle.attach?.stdout.on('data', collect);
        handle.attach?.stderr.on('data', collect);
        if (handle.attach) { await drained(handle.attach, launched.done); handle.attach.detach(); } else await launched.done;
        return { exitCode: e.ExitCode ?? -1, output: Buffer.concat(chunks).toString() + (truncated ? '...' : '') };
      } finally {
        this.execs.delete(Id);
      }
    })();
    return { result, kill: () => { killed = true; handle?.kill?.(9); } };
  }

  /** Starts a created exec's process: exec_start now, exec_die (and the exit code) when it ends. */
  private async launch(e: ExecRecord, o: { tty: boolean; attach: boolean; stdin: boolean; size?: [number, number] }): Promise<{ handle: ExecHandle; done: Promise<void> }> {
    const l = this.reg.get(e.ContainerID);
    if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    e.started = true;
    const spec = loadSpec(this.reg, l.rec.Id);
    const user = e.User ? resolveUser(spec.root.path, e.User) : undefined;
    const proc = buildExecProcess(spec, { args: e.Cmd, env: mergeEnv(l.rec.Config.Env, e.Env), cwd: e.WorkingDir || undefined, user, tty: o.tty, privileged: e.Privileged });
    const size = o.size;
    const handle = await this.reg.deps.runtime.exec(l.rec.Id, e.ID, proc, { tty: o.tty, attach: o.attach, stdin: o.stdin, consoleSize: size && size[0] && size[1] ? { rows: size[0], cols: size[1] } : undefined });
    e.Running = true;
    e.Pid = handle.pid;
    const attrs = { image: l.rec.Config.Image, name: l.rec.Name.slice(1), execID: e.ID };
    this.reg.deps.events.publish('container', `exec_start: ${e.Cmd.join(' ')}`, l.rec.Id, attrs);
    const done = handle.exit.then((code) => {
      e.Running = false;
      e.ExitCode = code;
      this.reg.deps.events.publish('container', 'exec_die', l.rec.Id, { ...attrs, exitCode: String(code) });
    });
    return { handle, done };
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    await this.reg.deps.runtime.execResize(e.ContainerID, id, h, w);
  }
}
