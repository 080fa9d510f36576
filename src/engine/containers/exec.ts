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
import { pauseUntilDrained, type ClientStream } from './io.ts';
import type { AttachStream } from '../../drivers/runtime/contract.ts';
import { mergeEnv } from './service.ts';
import { pumpOutput, type OutputPump } from './output-pump.ts';

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

export class ExecManager {
  private readonly execs = new Map<string, ExecRecord>();
  constructor(private readonly reg: ContainerRegistry) {}

  create(ref: string, body: Record<string, unknown> | undefined): { Id: string } {
    const l = this.reg.get(ref);
    if (!l.rec.State.Running || l.rec.State.Restarting) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    if (l.rec.State.Paused) throw new ConflictError(`Container ${l.rec.Id} is paused, unpause the container before exec`);
    // docker decodes the body with Go's case-insensitive field matching: docker-py sends `detachKeys`.
    const b = jsonFields(body ?? {});
    const cmd = b('Cmd');
    if (!Array.isArray(cmd) || cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    const envIn = b('Env');
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
   * was created with `Tty`; `opts.tty` (the start request's) only picks the stream framing.
   * A process that cannot be started ends the exec with exit code 126, as docker's does.
   */
  async start(id: string, opts: { detach: boolean; tty?: boolean; consoleSize?: [number, number] }, client?: ClientStream): Promise<void> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const l = this.reg.get(e.ContainerID);
    if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    e.started = true;
    const spec = loadSpec(this.reg, l.rec.Id);
    const user = e.User ? resolveUser(spec.root.path, e.User, l.rec.HostConfig.GroupAdd ?? []) : undefined;
    const proc = buildExecProcess(spec, { args: e.Cmd, env: mergeEnv(l.rec.Config.Env, e.Env), cwd: e.WorkingDir || undefined, user, tty: e.Tty, privileged: e.Privileged });
    const size = opts.consoleSize ?? e.ConsoleSize;
    const attach = !opts.detach && !!client;
    const event = { image: l.rec.Config.Image, name: l.rec.Name.slice(1), execID: id };
    this.reg.deps.events.publish('container', `exec_start: ${e.Cmd.join(' ')}`, l.rec.Id, event);
    let handle;
    try {
      handle = await this.reg.deps.runtime.exec(l.rec.Id, id, proc, { tty: e.Tty, attach, stdin: attach && e.OpenStdin, consoleSize: size && size[0] && size[1] ? { rows: size[0], cols: size[1] } : undefined });
    } catch (err) {
      e.ExitCode = 126;
      this.forgetLater(id);
      throw err;
    }
    e.Running = true;
    e.Pid = handle.pid;
    const done = handle.exit.then((code) => {
      e.Running = false;
      e.ExitCode = code;
      this.reg.deps.events.publish('container', 'exec_die', l.rec.Id, { ...event, exitCode: String(code) });
      this.forgetLater(id);
    });
    if (!attach || !handle.attach || !client) return;
    const pumped = pumpExec(handle.attach, client, { tty: opts.tty ?? e.Tty, stdout: e.OpenStdout || e.Tty, stderr: e.OpenStderr || e.Tty, stdin: e.OpenStdin, keys: parseDetachKeys(e.DetachKeys || undefined) });
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
      if (!client.isClosed) this.reg.deps.events.publish('container', 'exec_detach', l.rec.Id, event);
      client.end();
      return;
    }
    await done;
    client.end();
  }

  private forgetLater(id: string): void {
    setTimeout(() => this.execs.delete(id), 5 * 60_000).unref();
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    await this.reg.deps.runtime.execResize(e.ContainerID, id, h, w);
  }
}

/**
 * Connects an exec's attach stream to the client: output raw (`tty`) or in stdcopy frames at
 * the client's pace, input through the detach-key scanner. `detached`: keys or client gone.
 */
function pumpExec(a: AttachStream, client: ClientStream, o: { tty: boolean; stdout: boolean; stderr: boolean; stdin: boolean; keys: number[] }): { out: OutputPump; detached: () => boolean; onDetach: Promise<void> } {
  const out = pumpOutput(a, client, { stdout: o.stdout, stderr: o.stderr, encode: (s, d) => (o.tty ? d : frame(s, d)) });
  let detached = false;
  let onDetached!: () => void;
  const onDetach = new Promise<void>((r) => { onDetached = r; });
  const detach = () => { if (!detached) { detached = true; a.detach(); onDetached(); } };
  if (o.stdin) {
    const scanner = new DetachScanner(o.keys);
    client.input.on('data', (c: Buffer) => {
      if (detached) return;
      const r = scanner.push(c);
      if (r.forward.length && !a.stdin.write(r.forward)) pauseUntilDrained(client.input, a.stdin);
      if (r.detach) detach();
    });
    client.input.on('end', () => { if (!detached) a.stdin.end(); });
  }
  void client.closed.then(detach);
  return { out, detached: () => detached, onDetach };
}

/** Reads a JSON object's fields the way Go's encoding/json does: exact name first, else any case. */
function jsonFields(body: Record<string, unknown>): (name: string) => unknown {
  return (name) => {
    if (name in body) return body[name];
    const lower = name.toLowerCase();
    const key = Object.keys(body).find((k) => k.toLowerCase() === lower);
    return key === undefined ? undefined : body[key];
  };
}
