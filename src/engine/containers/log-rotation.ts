/**
 * json-file `max-size` / `max-file` for conmon's log: a light size check while the container
 * runs; past the limit the files shift (`log` → `log.1` → … → `log.<max-file - 1>`, the oldest
 * dropped) and conmon is told to reopen, so it starts a fresh `log`. Reading back goes through
 * `logFiles()`, oldest first.
 */
import fs from 'node:fs';
import { InvalidArgumentError } from '../../common/errors.ts';
import { parseBytes } from '../../common/human.ts';

export interface LogLimits { maxSize: number; maxFile: number }

/** Container log options over the daemon's defaults; undefined when no size limit is set. */
export function logLimits(opts: Record<string, string>, daemonOpts: Record<string, string> = {}): LogLimits | undefined {
  const o = { ...daemonOpts, ...opts };
  if (!o['max-size'] || o['max-size'] === '-1') {
    if (o['max-file'] && o['max-file'] !== '1') throw new InvalidArgumentError('max-file cannot be set without max-size');
    return undefined;
  }
  const maxSize = parseBytes(o['max-size']);
  const maxFile = o['max-file'] ? Number(o['max-file']) : 1;
  if (!Number.isInteger(maxFile) || maxFile < 1) throw new InvalidArgumentError(`max-file must be a positive integer: ${o['max-file']}`);
  if (maxSize <= 0) throw new InvalidArgumentError(`max-size must be a positive number: ${o['max-size']}`);
  return { maxSize, maxFile };
}

/** The log's files, oldest first (rotated ones, then the current file). */
export function logFiles(logPath: string): string[] {
  const rotated: { n: number; f: string }[] = [];
  for (let n = 1; ; n++) {
    const f = `${logPath}.${n}`;
    if (!fs.existsSync(f)) break;
    rotated.push({ n, f });
  }
  return [...rotated.reverse().map((r) => r.f), logPath];
}

/** Shifts the files and asks the monitor to reopen; returns true when it rotated. */
export async function rotateIfNeeded(logPath: string, limits: LogLimits, reopen: () => Promise<void>): Promise<boolean> {
  let size: number;
  try { size = fs.statSync(logPath).size; } catch { return false; }
  if (size < limits.maxSize) return false;
  if (limits.maxFile <= 1) {
    const tmp = `${logPath}.rotating`;
    fs.renameSync(logPath, tmp);
    await reopen();
    fs.rmSync(tmp, { force: true });
    return true;
  }
  fs.rmSync(`${logPath}.${limits.maxFile - 1}`, { force: true });
  for (let n = limits.maxFile - 2; n >= 1; n--) {
    if (fs.existsSync(`${logPath}.${n}`)) fs.renameSync(`${logPath}.${n}`, `${logPath}.${n + 1}`);
  }
  fs.renameSync(logPath, `${logPath}.1`);
  await reopen();
  return true;
}

/** Checks the size every `intervalMs` until stopped. */
export function watchLogSize(logPath: string, limits: LogLimits, reopen: () => Promise<void>, intervalMs = 250): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    rotateIfNeeded(logPath, limits, reopen).catch(() => false).finally(() => { busy = false; });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
