/**
 * Starting conmon (MONITOR.md §1–4). conmon forks once: the spawned process exits 0 after the
 * fork, and the monitor child runs `runc create` (or `runc exec`) and reports on the sync fd:
 * `{"data": <pid>}` or `{"data": -1, "message": "<runc stderr>"}`; for exec a second line
 * `{"data": <exit code>}` follows.
 *
 * Robustness rules applied here: the sync fd is a regular file (O_APPEND), so a daemon that
 * dies mid-create does not make conmon die of EPIPE; conmon's stdout/stderr go to a file;
 * conmon is started in its own session (detached) and can be moved to another cgroup while
 * it waits on the start pipe.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { RuntimeError } from '../contract.ts';
import { onlyJsonSyntax } from '../../../common/cleanups.ts';

export interface ConmonLaunch {
  conmonBin: string;
  runcBin: string;
  runcRoot: string;
  /** -c: runc container id (and exit file name). */
  cid: string;
  /** -u: attach dir name under socketDir. */
  cuuid: string;
  bundle: string;
  pidFile: string;
  /** `k8s-file:PATH`, `journald` or `none`. */
  log: string;
  /** -n: the container's name (journald's CONTAINER_NAME); the cid when absent. */
  name?: string;
  /** --log-tag (journald only). */
  logTag?: string;
  /**
   * An fd conmon inherits and keeps open while the container runs (conmon closes inherited fds
   * only at the container's exit): the json-file FIFO's read end, so the FIFO always has a
   * reader and conmon waits instead of losing lines to EPIPE while a log monitor is restarted.
   */
  holdFd?: number;
  exitDir: string;
  socketDir: string;
  tmpDir: string;
  syncFile: string;
  outFile: string;
  persistDir?: string;
  conmonPidFile?: string;
  tty?: boolean;
  stdin?: boolean;
  leaveStdinOpen?: boolean;
  /** Exec mode: path of the process.json; `attach` adds --exec-attach and the attach pipe. */
  exec?: { processSpec: string; attach: boolean };
  /** A cgroup.procs file to move conmon into before it forks (best effort). */
  cgroupProcs?: string;
  /** Exec attach only: called once the attach socket exists, before the process is started. */
  onAttachReady?: () => Promise<void>;
}

export interface SyncMessage {
  data: number;
  message?: string;
}

function conmonArgs(l: ConmonLaunch): string[] {
  const a = [
    '--api-version', '1', '-c', l.cid, '-u', l.cuuid, '-n', l.name || l.cid, '-r', l.runcBin,
    '--runtime-arg', '--root', '--runtime-arg', l.runcRoot,
    '-b', l.bundle, '-p', l.pidFile, '-l', l.log,
    '--exit-dir', l.exitDir, '--socket-dir-path', l.socketDir,
  ];
  if (l.logTag) a.push('--log-tag', l.logTag);
  if (l.persistDir) a.push('--persist-dir', l.persistDir);
  if (l.conmonPidFile) a.push('--conmon-pidfile', l.conmonPidFile);
  if (l.tty) a.push('-t');
  if (l.stdin) a.push('-i');
  if (l.leaveStdinOpen) a.push('--leave-stdin-open');
  if (l.exec) {
    a.push('-e', '--exec-process-spec', l.exec.processSpec);
    if (l.exec.attach) a.push('--exec-attach');
  }
  return a;
}

/** Parses the complete JSON lines of a sync file. */
export function readSync(file: string): SyncMessage[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: SyncMessage[] = [];
  for (const line of text.split('\n').slice(0, -1)) {
    try {
      out.push(JSON.parse(line) as SyncMessage);
    } catch (err) { onlyJsonSyntax(err); /* partial or foreign line */ }
  }
  return out;
}

function readOut(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Waits until the sync file holds `count` messages; fails if `failed()` reports the monitor gone.
 * An inotify watch on the file wakes the wait as soon as conmon writes (runc create takes
 * 50–80 ms here; polling alone added up to 25 ms); polling stays as the fallback.
 */
export async function waitSync(file: string, count: number, failed: () => string | undefined, timeoutMs = 120_000): Promise<SyncMessage[]> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  let wake: (() => void) | undefined;
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(file, () => wake?.());
    watcher.on('error', () => undefined);
  } catch { /* no inotify watch (limits, filesystem): the poll below finds the file all the same */ }
  try {
    for (;;) {
      const msgs = readSync(file);
      if (msgs.length >= count || msgs.some((m) => m.data < 0)) return msgs;
      const why = failed();
      if (why !== undefined) {
        const again = readSync(file);
        if (again.length >= count || again.some((m) => m.data < 0)) return again;
        throw new Error(why);
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for conmon');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        wake = () => { clearTimeout(t); resolve(); };
      });
      wake = undefined;
      delay = Math.min(delay * 2, 25);
    }
  } finally {
    watcher?.close();
  }
}

/** Reads one JSON line from conmon's attach pipe (`{"data": 0}` once the socket listens). */
function readAttachReady(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      stream.off('data', onData);
      try {
        const m = JSON.parse(buf.slice(0, nl)) as SyncMessage;
        if (m.data < 0) reject(new Error(m.message ?? 'conmon attach setup failed'));
        else resolve();
      } catch (e) {
        reject(e as Error);
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error('conmon closed the attach pipe')));
  });
}

/**
 * Spawns conmon and returns the first sync message (the container or exec pid). Throws
 * RuntimeError when conmon itself fails; a `data: -1` message is returned to the caller.
 */
export async function launchConmon(l: ConmonLaunch): Promise<SyncMessage> {
  const syncFd = fs.openSync(l.syncFile, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o600);
  const outFd = fs.openSync(l.outFile, 'a', 0o600);
  const attachPipe = l.exec?.attach === true;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    _OCI_SYNCPIPE: '3',
    _OCI_STARTPIPE: '4',
    TMPDIR: l.tmpDir,
  };
  if (attachPipe) env._OCI_ATTACHPIPE = '5';
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', outFd, outFd, syncFd, 'pipe'];
  if (attachPipe) stdio.push('pipe');
  if (l.holdFd !== undefined) { if (!attachPipe) stdio.push('ignore'); stdio.push(l.holdFd); }
  let child;
  try {
    // cwd = the bundle: conmon drops files (e.g. 'oom') in its cwd when it has no persist dir.
    child = spawn(l.conmonBin, conmonArgs(l), { stdio, env, detached: true, cwd: l.bundle });
  } finally {
    fs.closeSync(syncFd);
    fs.closeSync(outFd);
  }
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (code !== 0) exitInfo = `conmon exited with ${code ?? signal}: ${readOut(l.outFile).trim()}`;
      resolve();
    });
    child.once('error', (err) => {
      exitInfo = `cannot run conmon: ${err.message}`;
      resolve();
    });
  });
  const startPipe = child.stdio[4] as Writable;
  startPipe.on('error', () => { /* conmon gone: reported through exitInfo */ });
  const attachStream = attachPipe ? ((child.stdio as unknown[])[5] as Readable) : undefined;
  try {
    if (l.cgroupProcs && child.pid) {
      try {
        fs.writeFileSync(l.cgroupProcs, String(child.pid));
      } catch { /* optional: conmon then stays in the daemon's cgroup, which only changes accounting */ }
    }
    if (attachStream) {
      const ready = readAttachReady(attachStream);
      startPipe.write('1');
      // The spawned conmon exits 0 after its fork; only a failed exit ends the wait early.
      const failed = exited.then(() => (exitInfo ? Promise.reject(new Error(exitInfo)) : new Promise<never>(() => undefined)));
      await Promise.race([ready, failed]);
      await l.onAttachReady?.();
      startPipe.write('2');
    } else {
      startPipe.write('1');
    }
    const msgs = await waitSync(l.syncFile, 1, () => exitInfo);
    return msgs[0]!;
  } catch (err) {
    child.kill('SIGKILL');
    throw new RuntimeError(l.exec ? 'exec' : 'create', -1, readOut(l.outFile), `conmon failed: ${(err as Error).message}`);
  } finally {
    startPipe.end();
    attachStream?.destroy();
    child.unref();
  }
}
