/**
 * json-file `max-size` / `max-file` for conmon's log: a light size check while the container
 * runs; past the limit the files shift (`log` → `log.1` → … → `log.<max-file - 1>`, the oldest
 * dropped) and conmon is told to reopen, so it starts a fresh `log`. Reading back goes through
 * `logFiles()`, oldest first.
 */
import fs from 'node:fs';
import { InvalidArgumentError } from '../../common/errors.ts';
import { parseSize } from '../../common/human.ts';

export interface LogLimits { maxSize: number; maxFile: number }

/**
 * Container log options over the daemon's defaults, checked as docker's json-file driver does
 * (moby daemon/logger/jsonfilelog New; docker answers these at start, we at create too);
 * undefined when there is no `max-size` (then `max-file` has no effect, as in docker).
 */
export function logLimits(opts: Record<string, string>, daemonOpts: Record<string, string> = {}): LogLimits | undefined {
  const o = { ...daemonOpts, ...opts };
  let maxSize = -1;
  if (o['max-size'] !== undefined) {
    maxSize = parseSize(o['max-size']);
    if (maxSize <= 0) throw new InvalidArgumentError('max-size must be a positive number');
  }
  let maxFile = 1;
  if (o['max-file'] !== undefined) {
    if (!/^[+-]?\d+$/.test(o['max-file'])) throw new InvalidArgumentError(`strconv.Atoi: parsing ${JSON.stringify(o['max-file'])}: invalid syntax`);
    maxFile = Number(o['max-file']);
    if (maxFile < 1) throw new InvalidArgumentError('max-file cannot be less than 1');
  }
  if (o.compress !== undefined) {
    const compress = parseGoBool(o.compress);
    if (compress && (maxFile === 1 || maxSize === -1)) throw new InvalidArgumentError('compress cannot be true when max-file is less than 2 or max-size is not set');
  }
  return maxSize === -1 ? undefined : { maxSize, maxFile };
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new InvalidArgumentError(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** The log's files, oldest first (rotated ones, plain or gzipped by `compress`, then the current file). */
export function logFiles(logPath: string): string[] {
  const rotated: { n: number; f: string }[] = [];
  for (let n = 1; ; n++) {
    // Both exist for a moment while a compression ends: the .gz is whole then.
    const f = fs.existsSync(`${logPath}.${n}.gz`) ? `${logPath}.${n}.gz` : `${logPath}.${n}`;
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
export function watchLogSize(logPath: string, limits: LogLimits, reopen: () => Promise<void>, onError: (err: Error) => void, intervalMs = 250): () => void {
  let busy = false;
  let lastError = '';
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    rotateIfNeeded(logPath, limits, reopen)
      .then(() => { lastError = ''; }, (err: Error) => {
        // Retried at the next tick; the same failure is reported once, not every 250 ms.
        if (err.message !== lastError) onError(err);
        lastError = err.message;
      })
      .finally(() => { busy = false; });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
