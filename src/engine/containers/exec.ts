/**
 * Exec instances: `POST /containers/{id}/exec` records one, `POST /exec/{id}/start` runs it
 * through the runtime's monitor (attached and framed like attach, or detached), and
 * `GET /exec/{id}/json` reports its exit code. Finished instances are kept a while for inspect.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import { buildExecProcess, resolveUser } from '../../oci/index.ts';
import type { ContainerRegistry } from './service.ts';
import { loadSpec } from './lifecycle.ts';
import { parseDetachKeys } from '../../api/types/detach-keys.ts';
import type { ClientStream } from '../../api/types/output-sink.ts';
import { mergeEnv } from './service.ts';
import type { ProbeRunner } from './health.ts';
import type { AttachStream, ExecHandle } from '../../drivers/runtime/contract.ts';
import { pumpAttach } from './output-pump.ts';

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
    if (l.rec.State.Restarting) throw new ConflictError(`Container ${l.rec.Id} is restarting, wait until the container is running`);
    if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    if (l.rec.State.Paused) throw new ConflictError(`Container ${l.rec.Id} is paused, unpause the container before exec`);
    // docker decodes the body with Go's case-insensitive field matching: docker-py sends `detachKeys`.
    const b = jsonFields(body ?? {});
    const cmd = b('Cmd');
    if (!Array.isArray(cmd) || cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    if (!cmd.every((c) => typeof c === 'string')) throw new InvalidArgumentError('json: cannot unmarshal into Go struct field ExecConfig.Cmd of type string');
    const envIn = b('Env');
    if (envIn !== undefined && envIn !== null && (!Array.isArray(envIn) || !envIn.every((e) => typeof e === 'string'))) {
      throw new InvalidArgumentError('json: cannot unmarshal into Go struct field ExecConfig.Env of type []string');
    }
    const env = Array.isArray(envIn) ? (envIn as string[]) : [];
    for (const e of env) if (e === '' || e.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable: ${e}`);
    const wdIn = b('WorkingDir');
    const wd = typeof wdIn === 'string' ? wdIn : '';
    if (wd && !wd.startsWith('/')) throw new InvalidArgumentError(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
    const keysIn = b('DetachKeys');
    const detachKeys = typeof keysIn === 'string' ? keysIn : '';
    if (detachKeys) {
      try { parseDetachKeys(detachKeys); } catch { throw new InvalidArgumentError(`Invalid escape keys (${detachKeys}) provided`); }
    }
    const user = b('User');
    const size = b('ConsoleSize');
    if (size !== undefined && size !== null && (!Array.isArray(size) || size.length !== 2 || !size.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 2 ** 32))) {
      throw new InvalidArgumentError('json: cannot unmarshal into Go struct field ExecConfig.ConsoleSize of type [2]uint');
    }
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      ID: id, ContainerID: l.rec.Id, Running: false, ExitCode: null, Pid: 0,
      OpenStdin: !!b('AttachStdin'), OpenStdout: !!b('AttachStdout'), OpenStderr: !!b('AttachStderr'), Tty: !!b('Tty'),
      DetachKeys: detachKeys, Cmd: cmd.map(String), Env: env,
      User: typeof user === 'string' ? user : '', WorkingDir: wd, Privileged: !!b('Privileged'),
      ConsoleSize: Array.isArray(size) ? (size as [number, number]) : undefined, started: false,
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
    const pc: Record<string, unknown> = { tty: e.Tty, entrypoint: e.Cmd[0], arguments: e.Cmd.slice(1), privileged: e.Privileged };
    if (e.User) pc.user = e.User;
    return {
      ID: e.ID, Running: e.Running, ExitCode: e.ExitCode, ProcessConfig: pc,
      OpenStdin: e.OpenStdin, OpenStderr: e.OpenStderr, OpenStdout: e.OpenStdout, CanRemove: false, ContainerID: e.ContainerID,
      // docker keeps the parsed key bytes ([]byte), which JSON shows in base64 ("ctrl-p" → "EA==").
      DetachKeys: e.DetachKeys ? Buffer.from(parseDetachKeys(e.DetachKeys)).toString('base64') : '', Pid: e.Pid,
    };
  }

  /**
   * Runs the exec; with a client stream it is attached, else detached. Resolves at exit or
   * detach (attached) or once started (detached). The process gets a terminal when the exec
   * was created with `Tty` (the start request's `Tty` only picks the stream framing, at the
   * HTTP edge). A process that cannot be started ends the exec with exit code 126, as docker's does.
   */
  async start(id: string, opts: { detach: boolean; consoleSize?: [number, number] }, client?: ClientStream): Promise<void> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const attach = !opts.detach && !!client;
    const { handle, done, attrs } = await this.launch(e, { tty: e.Tty, attach, stdin: attach && e.OpenStdin, size: opts.consoleSize ?? e.ConsoleSize });
    void done.then(() => this.forgetLater(id));
    if (!attach || !handle.attach || !client) return;
    const pumped = pumpAttach(handle.attach, client, { stdout: e.OpenStdout || e.Tty, stderr: e.OpenStderr || e.Tty, stdin: e.OpenStdin, keys: parseDetachKeys(e.DetachKeys || undefined), inputEnd: 'close-stdin' });
    // The exit file can be seen before the attach socket delivered the last output: after the
    // exit, wait for the output to end (conmon closes the socket once drained). Bounded in case
    // it never does (a background process holding the pipe): 2 s without output moving, where
    // waiting for a slow client to drain counts as moving.
    await new Promise<void>((resolve) => {
      let exited = false;
      let ended = false;
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        clearTimeout(timer);
        if (ended || pumped.detached() || (exited && Date.now() - pumped.out.lastActivity() > 2000)) resolve();
        else if (exited) timer = setTimeout(check, 500);
      };
      void pumped.out.ended.then(() => { ended = true; check(); });
      void pumped.onDetach.then(check);
      void done.then(() => { exited = true; check(); });
    });
    if (pumped.detached()) {
      // Detach keys (or the client going away): the stream ends, the process goes on.
      if (!client.isClosed) this.reg.deps.events.publish('container', 'exec_detach', e.ContainerID, attrs);
      client.end();
      return;
    }
    await done;
    client.end();
  }

  private forgetLater(id: string): void {
    setTimeout(() => this.execs.delete(id), 5 * 60_000).unref();
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

  /**
   * Starts a created exec's process: exec_start first (as docker), exec_die (and the exit code)
   * when it ends. A process that cannot start ends the exec with exit code 126, as docker's.
   */
  /**
   * A command run to its end with stdout and stderr kept apart (the CRI's ExecSync): each is
   * cut at maxOutput bytes; after timeoutMs (0: none) the process is killed and `timedOut` set.
   */
  async runSync(containerId: string, cmd: string[], o: { timeoutMs: number; maxOutput: number }): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer; timedOut: boolean }> {
    const rec = this.reg.get(containerId).rec;
    const { Id } = this.create(containerId, { Cmd: cmd, AttachStdout: true, AttachStderr: true, User: rec.Config.User, WorkingDir: rec.Config.WorkingDir });
    let timer: NodeJS.Timeout | undefined;
    try {
      const e = this.get(Id);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const sizes = { out: 0, err: 0 };
      const keep = (into: Buffer[], k: 'out' | 'err') => (d: Buffer) => {
        const n = Math.min(o.maxOutput - sizes[k], d.length);
        if (n > 0) { into.push(Buffer.from(d.subarray(0, n))); sizes[k] += n; }
      };
      const launched = await this.launch(e, { tty: false, attach: true, stdin: false });
      let timedOut = false;
      if (o.timeoutMs > 0) timer = setTimeout(() => { timedOut = true; launched.handle.kill?.(9); }, o.timeoutMs);
      launched.handle.attach?.stdout.on('data', keep(out, 'out'));
      launched.handle.attach?.stderr.on('data', keep(err, 'err'));
      if (launched.handle.attach) { await drained(launched.handle.attach, launched.done); launched.handle.attach.detach(); } else await launched.done;
      return { exitCode: e.ExitCode ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut };
    } finally {
      clearTimeout(timer);
      this.execs.delete(Id);
    }
  }

  private async launch(e: ExecRecord, o: { tty: boolean; attach: boolean; stdin: boolean; size?: [number, number] }): Promise<{ handle: ExecHandle; done: Promise<void>; attrs: Record<string, string> }> {
    const l = this.reg.get(e.ContainerID);
    if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    e.started = true;
    const spec = loadSpec(this.reg, l.rec.Id);
    const user = e.User ? resolveUser(spec.root.path, e.User, l.rec.HostConfig.GroupAdd ?? []) : undefined;
    const proc = buildExecProcess(spec, { args: e.Cmd, env: mergeEnv(l.rec.Config.Env, e.Env), cwd: e.WorkingDir || undefined, user, tty: o.tty, privileged: e.Privileged });
    const size = o.size;
    const attrs = { image: l.rec.Config.Image, name: l.rec.Name.slice(1), execID: e.ID };
    this.reg.deps.events.publish('container', `exec_start: ${e.Cmd.join(' ')}`, l.rec.Id, attrs);
    let handle: ExecHandle;
    try {
      handle = await this.reg.deps.runtime.exec(l.rec.Id, e.ID, proc, { tty: o.tty, attach: o.attach, stdin: o.stdin, consoleSize: size && size[0] && size[1] ? { rows: size[0], cols: size[1] } : undefined });
    } catch (err) {
      e.ExitCode = 126;
      this.forgetLater(e.ID);
      throw err;
    }
    e.Running = true;
    e.Pid = handle.pid;
    const done = handle.exit.then((code) => {
      e.Running = false;
      e.ExitCode = code;
      this.reg.deps.events.publish('container', 'exec_die', l.rec.Id, { ...attrs, exitCode: String(code) });
    });
    return { handle, done, attrs };
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    await this.reg.deps.runtime.execResize(e.ContainerID, id, h, w);
  }
}

/** Reads a JSON object's fields the way Go's encoding/json does: exact name first, else any case. */
function jsonFields(body: Record<string, unknown>): (name: string) => unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const t = body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body;
    throw new InvalidArgumentError(`json: cannot unmarshal ${t} into Go value of type types.ExecConfig`);
  }
  return (name) => {
    if (name in body) return body[name];
    const lower = name.toLowerCase();
    const key = Object.keys(body).find((k) => k.toLowerCase() === lower);
    return key === undefined ? undefined : body[key];
  };
}
