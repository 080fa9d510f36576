/**
 * Small readers over /proc, cgroupfs and conmon's control files, used to judge liveness
 * (PID 1 here reaps slowly, so a dead conmon can linger as a zombie: check `State:`),
 * detect OOM kills and send control messages to conmon.
 */
import fs from 'node:fs';
import path from 'node:path';
import { onlyErrno } from '../../../common/cleanups.ts';
import { cgroupDirs, detectCgroupLayout } from '../../../common/cgroups.ts';

/** True when `pid` exists and is not a zombie; with `mustContain`, its cmdline must hold every string. */
export function processAlive(pid: number, mustContain: string[] = []): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (state === 'Z' || state === 'X') return false;
    if (mustContain.length) {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return mustContain.every((s) => argv.includes(s) || argv.some((a) => a.endsWith(`/${s}`)));
    }
    return true;
  } catch {
    return false;
  }
}

export function readPidFile(file: string): number {
  try {
    return parseInt(fs.readFileSync(file, 'utf8').trim(), 10) || 0;
  } catch {
    return 0;
  }
}

/**
 * Writes one control line to conmon's ctl FIFO (`1 <rows> <cols>\n` = resize). Non-blocking
 * open: with no reader (monitor gone) it fails with ENXIO instead of hanging.
 */
export function writeCtl(ctlPath: string, line: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(ctlPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    fs.writeSync(fd, line);
    return true;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the kernel OOM-killed a task in the container's memory cgroup (v1 oom_control, v2 memory.events). */
export function cgroupOomKilled(cgroupsPath: string | undefined): boolean {
  if (!cgroupsPath || !cgroupsPath.startsWith('/')) return false;
  const d = cgroupDirs(detectCgroupLayout(), cgroupsPath);
  const file = d.version === 2 ? path.join(d.dir, 'memory.events') : d.dirs.memory && path.join(d.dirs.memory, 'memory.oom_control');
  if (!file) return false;
  try {
    const m = /^oom_kill (\d+)/m.exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) > 0 : false;
  } catch (err) {
    onlyErrno(err, 'ENOENT', 'ENOTDIR'); // gone with the container
    return false;
  }
}

/** Removes a tree; a failure (not "already gone") goes to `onError`, never thrown. */
export async function rmQuiet(p: string, onError: (err: Error) => void = () => {}): Promise<void> {
  try {
    // Off the event loop (a sync recursive removal holds every API request up under load).
    await fs.promises.rm(p, { recursive: true, force: true });
  } catch (err) {
    onError(err as Error);
  }
}

/** Removes a file; "already gone" is expected, another failure goes to `onError`, never thrown. */
export async function unlinkQuiet(p: string, onError: (err: Error) => void = () => {}): Promise<void> {
  try {
    await fs.promises.unlink(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(err as Error);
  }
}
