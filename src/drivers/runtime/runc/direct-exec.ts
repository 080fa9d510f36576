/**
 * An attached exec without a terminal, run by `runc exec` as a child of the daemon: its
 * stdio are the child's pipes, its exit code is runc's (runc passes the process's status
 * through, 128+signal for a signal). No conmon, no attach socket, no exit file: a `docker
 * exec C cmd` costs runc's own time plus a few ms (issue #14; docs/ARCHITECTURE.md, "exec").
 *
 * What it gives up: the process's stdio are the daemon's pipes, so a process still running
 * when the daemon stops loses its output (docker's exec sessions do not survive a daemon
 * restart either: their records are in dockerd's memory). Execs with a terminal, detached
 * ones (`exec -d`, whose exit code must outlive the request) and those whose stdout and
 * stderr must keep their order (healthcheck probes: runc's foreground mode copies the two
 * streams in two goroutines, so bytes written close together can swap) keep a conmon.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import type { AttachStream, ExecHandle } from '../contract.ts';
import { onlyErrno } from '../../../common/cleanups.ts';
import { runcError } from './runc-cli.ts';

export interface DirectExec {
  runcBin: string;
  runcRoot: string;
  id: string;
  /** The exec's own directory: process.json is there; runc's pid file and log go there. */
  dir: string;
  stdin: boolean;
  cleanup(): Promise<void>;
}

export async function directExec(d: DirectExec): Promise<ExecHandle> {
  const pidFile = path.join(d.dir, 'pid');
  const logFile = path.join(d.dir, 'runc.log');
  const runcArgs = ['--root', d.runcRoot, '--log', logFile, 'exec', '--process', path.join(d.dir, 'process.json'), '--pid-file', pidFile, d.id];
  const child = spawn(d.runcBin, runcArgs, {
    stdio: [d.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exitCode = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : -1)));
    child.once('error', () => resolve(-1));
  });
  // Output held until the process is known to run: runc repeats its own error on stderr.
  const stdout = new PassThrough({ highWaterMark: 64 * 1024 });
  const stderr = new PassThrough({ highWaterMark: 64 * 1024 });
  // Listened for at once: a process may close a stream before its pid is read.
  const ended = (s: NodeJS.ReadableStream) => new Promise<void>((r) => { s.once('end', r); s.once('close', r); s.once('error', () => r()); });
  const closed = Promise.all([ended(child.stdout!), ended(child.stderr!)]).then(() => undefined);
  const pid = await untilPidFile(pidFile, exitCode);
  if (!pid) {
    const code = await exitCode;
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.stdin?.destroy();
    const log = readQuiet(logFile);
    await d.cleanup();
    throw runcError('exec', d.id, code, log || 'runc exec failed');
  }
  child.stdout!.pipe(stdout);
  child.stderr!.pipe(stderr);
  let detached = false;
  let stdinStream: Writable;
  if (child.stdin) stdinStream = child.stdin;
  else { const sink = new PassThrough(); sink.resume(); stdinStream = sink; }
  stdinStream.on('error', () => { /* the process closed its stdin (EPIPE): the rest is dropped */ });
  let exited = false;
  const exit = exitCode.then(async (code) => {
    exited = true;
    await d.cleanup();
    return code;
  });
  const attach: AttachStream = {
    stdout, stderr, stdin: stdinStream, closed,
    detach() {
      if (detached) return;
      detached = true;
      child.stdout?.unpipe(stdout);
      child.stderr?.unpipe(stderr);
      stdout.end();
      stderr.end();
      // The process goes on; what it writes from now on is read and dropped.
      child.stdout?.resume();
      child.stderr?.resume();
    },
  };
  const kill = (signal: number) => { if (!exited) try { process.kill(pid, signal); } catch (err) { onlyErrno(err, 'ESRCH'); } };
  return { pid, attach, exit, kill };
}

function readQuiet(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}

/** The pid runc wrote (temp file + rename), or 0 once runc exited without writing one. */
async function untilPidFile(file: string, exited: Promise<number>): Promise<number> {
  let done = false;
  void exited.then(() => { done = true; });
  let wake: (() => void) | undefined;
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(path.dirname(file), () => wake?.());
    watcher.on('error', () => undefined);
  } catch { /* no inotify watch: the poll finds it */ }
  try {
    let delay = 1;
    for (;;) {
      const text = readQuiet(file).trim();
      if (text) return parseInt(text, 10) || 0;
      if (done) {
        const again = readQuiet(file).trim();
        return again ? parseInt(again, 10) || 0 : 0;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        wake = () => { clearTimeout(t); resolve(); };
        void exited.then(() => { clearTimeout(t); resolve(); });
      });
      wake = undefined;
      delay = Math.min(delay * 2, 20);
    }
  } finally {
    watcher?.close();
  }
}
