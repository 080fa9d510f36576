/**
 * StreamRuntime over wharf's engine: CRI exec runs through the same ExecManager as `docker
 * exec` (create + start attached), attach through the containers service's attach (as
 * `docker attach`), and port-forward dials localhost:port inside the pod sandbox's network
 * namespace (netns-dial.ts). The engine hands output out per stream; `EngineClient` writes
 * it to the CRI client's stdout/stderr streams, at the client's pace.
 */
import { PassThrough, type Duplex, type Writable } from 'node:stream';
import type { ClientStream, ContainersService } from '../../engine/containers/index.ts';
import { StdStream } from '../../api/types/stdcopy.ts';
import type { StreamIO, StreamRuntime, TerminalSize } from './contract.ts';
import { dialInNetns } from './netns-dial.ts';

/** How long an exec with a tty waits for the client's first terminal size before it starts. */
const FIRST_SIZE_WAIT_MS = 250;

export class EngineStreamRuntime implements StreamRuntime {
  constructor(private readonly containers: ContainersService) {}

  async exec(containerId: string, cmd: string[], io: StreamIO): Promise<number> {
    const execs = this.containers.execs;
    // client-go sends the terminal's size as soon as its streams are up: wait a moment for it
    // so the process starts at that size (docker exec's ConsoleSize); later sizes resize it.
    let sizes: AsyncIterator<TerminalSize> | undefined;
    let next: Promise<IteratorResult<TerminalSize>> | undefined;
    let first: TerminalSize | undefined;
    if (io.tty && io.resize) {
      sizes = io.resize[Symbol.asyncIterator]();
      next = sizes.next();
      const r = await Promise.race([next, new Promise<undefined>((res) => { setTimeout(res, FIRST_SIZE_WAIT_MS); })]);
      if (r) {
        first = r.done ? undefined : r.value;
        next = r.done ? undefined : sizes.next();
      }
    }
    const { Id } = execs.create(containerId, {
      Cmd: cmd, AttachStdin: !!io.stdin, AttachStdout: !!io.stdout, AttachStderr: !!io.stderr, Tty: io.tty,
      ConsoleSize: first?.width && first.height ? [first.height, first.width] : undefined,
    });
    const client = new EngineClient(io, io.tty);
    // Sizes that come before the process exists are applied once it runs (the last one wins);
    // a resize the monitor is not ready for yet is tried again shortly.
    let started = false;
    let pending: TerminalSize | undefined;
    const apply = async (s: TerminalSize) => {
      if (!s.width || !s.height) return;
      for (let i = 0; i < 20; i++) {
        try { await execs.resize(Id, s.height, s.width); return; } catch { /* not ready yet, or gone */ }
        if ((execs.inspect(Id) as { Running: boolean }).Running === false) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    if (next && sizes) {
      const it = sizes;
      void (async () => {
        for (let r = await next; !r.done; r = await it.next()) {
          if (started) await apply(r.value); else pending = r.value;
        }
      })().catch(() => {});
    }
    const startedCheck = setInterval(() => {
      const info = execs.inspect(Id) as { Running: boolean; ExitCode: number | null };
      if (!info.Running && info.ExitCode === null) return;
      clearInterval(startedCheck);
      started = true;
      if (pending) void apply(pending);
    }, 10);
    // The client gone (kubectl exec interrupted): the process is killed, as containerd's CRI
    // does when the request's context ends, rather than left running with nobody attached.
    const killOnAbort = () => {
      const info = execs.inspect(Id) as { Running: boolean; Pid: number };
      if (info.Running && info.Pid > 0) {
        try { process.kill(info.Pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    };
    io.signal?.addEventListener('abort', killOnAbort, { once: true });
    try {
      await execs.start(Id, { detach: false }, client);
    } finally {
      io.signal?.removeEventListener('abort', killOnAbort);
      clearInterval(startedCheck);
      client.dispose();
    }
    const code = (execs.inspect(Id) as { ExitCode: number | null }).ExitCode;
    // Detached by the client going away before the process exited: no code to give.
    return code ?? 0;
  }

  async attach(containerId: string, io: StreamIO): Promise<void> {
    const tty = this.containers.record(containerId).Config.Tty;
    const client = new EngineClient(io, tty);
    if (io.tty && io.resize) {
      void (async () => {
        for await (const s of io.resize!) {
          if (s.width && s.height) await this.containers.resize(containerId, s.height, s.width).catch(() => {});
        }
      })().catch(() => {});
    }
    try {
      await this.containers.attach(containerId, client, { stdin: !!io.stdin, stdout: !!io.stdout, stderr: !!io.stderr, stream: true, logs: false, detachKeys: null });
    } finally {
      client.dispose();
    }
  }

  async portForward(podSandboxId: string, port: number, stream: Duplex): Promise<void> {
    const rec = this.containers.record(podSandboxId);
    if (!rec.State.Running || !rec.State.Pid) throw new Error(`pod sandbox ${podSandboxId} is not running`);
    const nsPath = rec.SandboxKey || `/proc/${rec.State.Pid}/ns/net`;
    const conn = await dialInNetns(nsPath, port);
    await new Promise<void>((resolve) => {
      let open = 2;
      const done = () => { if (--open === 0) resolve(); };
      // Each direction ends on its own (half-close), the pair is done when both have.
      stream.pipe(conn).once('finish', done);
      conn.pipe(stream).once('finish', done);
      const abort = () => { conn.destroy(); resolve(); };
      conn.once('error', abort);
      stream.once('close', () => { if (!conn.destroyed && open > 0) conn.end(); });
      conn.once('close', () => { open = 0; resolve(); });
    });
    conn.destroy();
  }
}

/**
 * The engine's view of a CRI client (its ClientStream): input is the client's stdin, output
 * goes to stdout or stderr as the engine hands it (all of a TTY's to stdout).
 */
class EngineClient implements ClientStream {
  readonly input: NodeJS.ReadableStream;
  readonly closed: Promise<void>;
  private gone = false;
  private readonly onAbort: () => void;

  constructor(private readonly io: StreamIO, private readonly raw: boolean) {
    // No stdin requested: an input that never sends (the engine only reads it when asked to).
    this.input = io.stdin ?? new PassThrough();
    let resolve!: () => void;
    this.closed = new Promise((r) => { resolve = r; });
    this.onAbort = () => { this.gone = true; resolve(); };
    if (io.signal?.aborted) this.onAbort();
    else io.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get isClosed(): boolean { return this.gone; }

  write(stream: StdStream, data: Buffer): boolean {
    return this.out(!this.raw && stream === StdStream.Stderr ? this.io.stderr : this.io.stdout, data);
  }

  private out(w: Writable | undefined, data: Buffer): boolean {
    if (!w || this.gone || w.destroyed || w.writableEnded || !data.length) return true;
    return w.write(data);
  }

  /** The server ends the client's streams itself, after the status. */
  end(): void {}

  drained(): Promise<void> {
    const waits = [this.io.stdout, this.io.stderr].filter((w): w is Writable => !!w && w.writableNeedDrain && !w.destroyed && !w.writableEnded)
      .map((w) => new Promise<void>((r) => {
        const go = () => { w.off('drain', go); w.off('close', go); r(); };
        w.on('drain', go);
        w.on('close', go);
      }));
    return Promise.race([Promise.all(waits).then(() => undefined), this.closed]);
  }

  dispose(): void { this.io.signal?.removeEventListener('abort', this.onAbort); }
}
