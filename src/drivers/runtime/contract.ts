/**
 * Runtime driver contract: runs OCI bundles, one lightweight monitor per container (conmon),
 * never a Node process per container. Implementation: runc/ (conmon 2.1 + runc 1.1).
 *
 * Lifecycle of a container (call order):
 *   const rootfs = await rt.mountRootfs(id, snapshots.mounts(id))
 *       – the snapshot's Mount[] (containerd's hand-off) mounted where the runtime keeps the
 *         container's root; `rootfs` is the spec's root.path. Idempotent (returns the same path).
 *   const { pid } = await rt.create(id, { spec, tty, openStdin, logPath })
 *       – writes the bundle, starts the monitor, runs `runc create`; state is `created`.
 *       – for `docker run -i`/attach: call rt.attach(id) now, before start, to lose no output.
 *   await rt.start(id)                 // state `running`; a tty gets its initial size here
 *   rt.waitExit(id)                    // resolves once with { exitCode, exitedAt, oomKilled }
 *   rt.kill(id, 15) / pause / resume / resize / exec …   // while running
 *   await rt.delete(id)                // after exit: removes runtime state, bundle, exit files, unmounts the rootfs
 * A daemon restart builds a new driver on the same execRoot and calls restore(id) for each
 * container it knows; containers keep running, and waitExit works from the exit files.
 *
 * Exec (call order): const ex = await rt.exec(id, execId, process, { tty, attach: true, stdin })
 *   → read ex.attach.stdout/stderr, write ex.attach.stdin; await ex.exit (exit code);
 *   rt.execResize(id, execId, rows, cols) while it runs. Exec state is removed after exit.
 *
 * Example:
 *   const rt = new RuncRuntime({ execRoot: '/run/wharf' });
 *   await rt.create('c1', { spec: buildRuntimeSpec({ rootfs, args: ['sh', '-c', 'echo hi'] }), logPath: '/var/lib/wharf/c1.log' });
 *   const exited = rt.waitExit('c1');
 *   await rt.start('c1');
 *   (await exited).exitCode  // 0; the log holds "<time> stdout F hi"
 *   await rt.delete('c1');
 *
 * Errors: RuntimeError (500) carries runc's exit code and stderr; ContainerStartError (400)
 * when the process cannot be started (not found → exit 127, permission denied → 126);
 * NotFoundError for an unknown id; ConflictError for an action the state forbids.
 */
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, SystemError } from '../../common/errors.ts';
import type { ProcessSpec, RuntimeSpec } from '../../oci/spec-types.ts';
import type { Mount } from '../../common/native/mount.ts';

export type { Mount } from '../../common/native/mount.ts';

export type RuntimeStatus = 'created' | 'running' | 'paused' | 'stopped';

export interface CreateOptions {
  spec: RuntimeSpec;
  /** Must match spec.process.terminal. */
  tty?: boolean;
  /** Keep stdin open for attach (`-i`); it stays open across detach and client EOF. */
  openStdin?: boolean;
  /**
   * With openStdin (non-tty): the first attach that ends its stdin (or detaches) closes the
   * container's stdin for good — `docker run -i`. Without it a client EOF is ignored (`-di`).
   */
  stdinOnce?: boolean;
  /** Shorthand for `log: { driver: 'k8s-file', path }` (conmon writes "<time> <stream> <F|P> <bytes>"). */
  logPath?: string;
  /** Where the container's output is logged; no logging when neither this nor logPath is given. */
  log?: LogSpec;
  /** Initial tty size sent right after start (default 24×80). */
  consoleSize?: { rows: number; cols: number };
}

/** The log drivers a RuntimeDriver may be asked for. */
export const RUNTIME_LOG_DRIVERS = ['json-file', 'k8s-file', 'journald', 'none'] as const;
export type RuntimeLogDriver = (typeof RUNTIME_LOG_DRIVERS)[number];

/**
 * A container's log driver:
 *  - `json-file`: docker's json-file lines at `path`, written while the daemon is down too,
 *    rotated at `maxSize` into `path.1` … `path.<maxFile - 1>` by the driver.
 *  - `k8s-file`: conmon's own format at `path` (what kubelet reads for CRI containers); rotation
 *    is the caller's (rename the file, then reopenLog).
 *  - `journald`: conmon's journald driver (CONTAINER_ID_FULL, CONTAINER_NAME = `name`).
 *  - `none`: nothing is logged.
 */
export interface LogSpec {
  driver: RuntimeLogDriver;
  path?: string;
  maxSize?: number;
  maxFile?: number;
  /** json-file: rotated files are gzipped (`path.N.gz`). */
  compress?: boolean;
  /** journald: CONTAINER_NAME and SYSLOG_IDENTIFIER. */
  name?: string;
  /** journald: CONTAINER_TAG and SYSLOG_IDENTIFIER. */
  tag?: string;
}

export interface ExitInfo {
  /** Decimal status; 128+signal after a signal; -1 when the monitor died and the code is lost. */
  exitCode: number;
  exitedAt: Date;
  oomKilled: boolean;
}

export interface RuntimeState {
  id: string;
  status: RuntimeStatus;
  /** Container init pid on the host (0 when stopped). */
  pid: number;
}

/** A live attach to a container's or exec's stdio (one SEQPACKET connection to the monitor). */
export interface AttachStream {
  /** All output with a tty; stdout otherwise. Ends when the process exits or on detach(). */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Writes go to the process's stdin (tty: the pty). end() = EOF on stdin, output keeps flowing. */
  readonly stdin: Writable;
  /** Closes the connection; the process keeps running. */
  detach(): void;
  /** Resolves when the monitor closed the connection (process exited) or after detach(). */
  readonly closed: Promise<void>;
}

export interface ExecOptions {
  tty?: boolean;
  /** Connect an AttachStream before the process starts (docker exec without -d). */
  attach?: boolean;
  /** Keep stdin open (docker exec -i); only with attach. */
  stdin?: boolean;
  consoleSize?: { rows: number; cols: number };
}

export interface ExecHandle {
  pid: number;
  attach?: AttachStream;
  /** Exit code of the exec'd process (-1 if it could not be learned). */
  exit: Promise<number>;
  /** Signals the exec'd process (a healthcheck past its timeout); a no-op once it exited. */
  kill?(signal: number): void;
}

export interface RestoreResult {
  status: RuntimeStatus;
  pid: number;
  /** False when the monitor is gone: the exit code is lost (waitExit reports -1 once stopped). */
  monitorAlive: boolean;
}

export interface RuntimeVersion {
  runcVersion: string;
  runcCommit: string;
  specVersion: string;
  conmonVersion: string;
  /** Loud warnings for `info` and daemon start (check 9), empty when none. */
  warnings: string[];
}

export interface RuntimeDriver {
  /** The name it is registered and looked up by (`--runtime`, daemon.json `default-runtime`), e.g. `runc`. */
  readonly name: string;
  /**
   * Mounts a container's root filesystem from the snapshot driver's Mount[] at the runtime's
   * own place for it and returns that directory (the spec's root.path; also what cp/export read
   * while it is mounted). Idempotent: a mounted rootfs is returned as it is.
   */
  mountRootfs(id: string, mounts: Mount[]): Promise<string>;
  /** Where mountRootfs mounts a container's root (inspect GraphDriver.Data.MergedDir), mounted or not. */
  rootfsPath(id: string): string;
  /** Unmounts what mountRootfs mounted; idempotent. delete() does it too. */
  unmountRootfs(id: string): Promise<void>;
  create(id: string, opts: CreateOptions): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  /** signal: number (15) or name ('SIGTERM', 'TERM'). */
  kill(id: string, signal: number | string): Promise<void>;
  state(id: string): Promise<RuntimeState>;
  waitExit(id: string): Promise<ExitInfo>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** force: kill a running container first. Without force a running one is a ConflictError. Unmounts the rootfs. */
  delete(id: string, force?: boolean): Promise<void>;
  attach(id: string): Promise<AttachStream>;
  resize(id: string, rows: number, cols: number): Promise<void>;
  /** Makes the monitor reopen its log file (after the caller renamed it away: log rotation; k8s-file only). */
  reopenLog(id: string): Promise<void>;
  /** Resolves once what the container wrote so far is in its log file (json-file goes through a monitor). */
  syncLog(id: string): Promise<void>;
  exec(id: string, execId: string, process: ProcessSpec, opts?: ExecOptions): Promise<ExecHandle>;
  execResize(id: string, execId: string, rows: number, cols: number): Promise<void>;
  restore(id: string): Promise<RestoreResult>;
  list(): Promise<RuntimeState[]>;
  version(): Promise<RuntimeVersion>;
}

/** runc (or conmon) failed; `exitCode` and `stderr` are runc's. Callers branch on the class, never the text. */
export class RuntimeError extends SystemError {
  readonly op: string;
  readonly exitCode: number;
  readonly stderr: string;
  constructor(op: string, exitCode: number, stderr: string, message?: string) {
    super(message ?? `OCI runtime ${op} failed: ${stderr.trim() || `exit status ${exitCode}`}`);
    this.op = op;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * The container's process could not be started (bad command, not executable, bad mount).
 * Docker answers 400 and records exit code 127 (not found) or 126 (cannot invoke).
 */
export class ContainerStartError extends InvalidArgumentError {
  readonly containerExitCode: number;
  readonly stderr: string;
  constructor(message: string, containerExitCode: number, stderr: string) {
    super(message);
    this.containerExitCode = containerExitCode;
    this.stderr = stderr;
  }
}
