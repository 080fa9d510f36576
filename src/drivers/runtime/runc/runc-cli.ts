/**
 * Calls to the runc binary (short-lived: state, start, kill, pause, delete, list) and the
 * translation of its failures into typed errors. runc's stderr is logrus text
 * (`time="…" level=error msg="…"`); the msg is extracted for messages, the raw text is kept.
 */
import { execFile } from 'node:child_process';
import { ConflictError, NotFoundError } from '../../../common/errors.ts';
import { ContainerStartError, RuntimeError } from '../contract.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion (never throws for a non-zero exit). */
export function run(bin: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new RuntimeError(args[0] ?? bin, -1, String(err.message)));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The human part of runc's stderr: the msg="…" of its last error line, or the text as is. */
export function runcMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(lines[i]!);
    if (m) {
      try {
        return JSON.parse(`"${m[1]}"`) as string;
      } catch {
        return m[1]!;
      }
    }
  }
  return lines.join('\n');
}

/**
 * Maps a failed runc call to our error classes (moby translateContainerdStartErr):
 * not found → ContainerStartError 127, EACCES → 126, missing container → 404.
 */
export function runcError(op: string, id: string, exitCode: number, stderr: string): Error {
  const msg = runcMessage(stderr);
  const lower = msg.toLowerCase();
  if (/container does not exist|container .* does not exist/.test(lower)) {
    return new NotFoundError(`No such container: ${id}`, { cause: new RuntimeError(op, exitCode, stderr) });
  }
  if (op === 'create' || op === 'start' || op === 'exec') {
    const full = `OCI runtime ${op} failed: ${msg}: unknown`;
    if (lower.includes('executable file not found') || lower.includes('no such file or directory')) {
      return new ContainerStartError(full, 127, stderr);
    }
    if (lower.includes('permission denied')) return new ContainerStartError(full, 126, stderr);
    if (lower.includes('not a directory')) {
      return new ContainerStartError(`${full}: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type`, 127, stderr);
    }
  }
  if (/container not running|cannot (pause|resume|kill)|is not running|is paused|not paused|stopped container|container is stopped/.test(lower)) {
    return new ConflictError(`Container ${id} is not running`, { cause: new RuntimeError(op, exitCode, stderr) });
  }
  return new RuntimeError(op, exitCode, stderr, `OCI runtime ${op} failed: ${msg || `exit status ${exitCode}`}`);
}

/** A runc invocation bound to one `--root`. */
export class RuncCli {
  constructor(readonly bin: string, readonly root: string) {}

  async call(op: string, id: string, args: string[]): Promise<string> {
    const r = await run(this.bin, ['--root', this.root, ...args]);
    if (r.code !== 0) throw runcError(op, id, r.code, r.stderr);
    return r.stdout;
  }

  /** `runc state` JSON, or undefined when runc does not know the container. */
  async state(id: string): Promise<{ status: string; pid: number; bundle: string } | undefined> {
    const r = await run(this.bin, ['--root', this.root, 'state', id]);
    if (r.code !== 0) {
      const e = runcError('state', id, r.code, r.stderr);
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
    return JSON.parse(r.stdout) as { status: string; pid: number; bundle: string };
  }
}
