/**
 * Which log driver a container gets and what that means for the runtime: the daemon's
 * `log-driver`/`log-opts` (daemon.json) fill in a container's LogConfig at create, as moby's
 * mergeAndVerifyLogConfig does; the drivers wharf has are json-file (docker's format, written by
 * the runtime's log monitor), k8s-file (conmon's format, for CRI), journald (conmon's driver,
 * where journald runs) and none. Docker's other drivers, `local` included, are refused with a 400.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors.ts';
import { RUNTIME_LOG_DRIVERS, type LogSpec } from '../../drivers/runtime/contract.ts';
import { logFiles, logLimits, parseGoBool } from './log-rotation.ts';
import { readK8sLogBatches } from '../../common/k8s-log.ts';
import { encodeJsonLogLine, k8sTimeToUtc } from '../../common/json-log.ts';

export type LogConfig = { Type: string; Config: Record<string, string> };

/** Drivers wharf runs (docker's `none` included): the runtime's. */
export const LOG_DRIVERS = RUNTIME_LOG_DRIVERS;

/** The journal's socket: conmon's journald driver needs a running systemd-journald. */
export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

/** A driver wharf has and can use on this host; throws a 400 that says why not. */
export function checkLogDriver(type: string, journalSocket = JOURNAL_SOCKET): void {
  if (type === 'local') {
    throw new InvalidArgumentError('logger: the local log driver is not supported by this daemon; use json-file (max-size, max-file) or none');
  }
  if (!(LOG_DRIVERS as readonly string[]).includes(type)) throw new InvalidArgumentError(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  if (type === 'journald' && !fs.existsSync(journalSocket)) {
    throw new InvalidArgumentError('failed to initialize logging driver: journald is not enabled on this host');
  }
}

/** moby's mergeAndVerifyLogConfig: the daemon's driver when none is named, its options under the container's when the driver is the same. */
export function mergeLogConfig(lc: LogConfig, daemonDriver: string, daemonOpts: Record<string, string>): LogConfig {
  const Type = lc.Type || daemonDriver;
  const Config = { ...(lc.Config ?? {}) };
  if (Type === daemonDriver) for (const [k, v] of Object.entries(daemonOpts)) if (!(k in Config)) Config[k] = v;
  return { Type, Config };
}

/** docker's LogPath: the json-file's path; k8s-file's file for that driver; empty for drivers without a file. */
export function logPathFor(type: string, dir: string, id: string): string {
  if (type === 'json-file') return path.join(dir, `${id}-json.log`);
  if (type === 'k8s-file') return path.join(dir, `${id}.log`);
  return '';
}

/** The log the runtime writes for a container (throws on bad options). */
export function runtimeLogSpec(lc: LogConfig, logPath: string, name: string): LogSpec {
  switch (lc.Type) {
    case 'none': return { driver: 'none' };
    case 'journald': return { driver: 'journald', name: name.replace(/^\//, ''), tag: lc.Config.tag && !lc.Config.tag.includes('{{') ? lc.Config.tag : undefined };
    case 'k8s-file': return { driver: 'k8s-file', path: logPath };
    default: {
      // json-file (and records from before the merge, whose LogPath is the json-file's).
      const limits = logLimits(lc.Config);
      const compress = lc.Config.compress !== undefined && parseGoBool(lc.Config.compress);
      return { driver: 'json-file', path: logPath, maxSize: limits?.maxSize, maxFile: limits?.maxFile, ...(compress ? { compress } : {}) };
    }
  }
}

/** docker's answer to `logs` on a container whose driver keeps no readable log. */
export function checkReadable(lc: LogConfig): void {
  if (lc.Type === 'none' || lc.Type === 'journald') throw new NotImplementedError('configured logging driver does not support reading');
}

/**
 * A json-file container made before json-file was written as such has conmon's k8s-file records
 * at its LogPath (and rotated files): they are rewritten once as json-file lines before the
 * container starts again, so the monitor never appends docker's lines to a k8s-file file.
 */
export async function upgradeLegacyLog(logPath: string): Promise<void> {
  for (const f of logFiles(logPath)) {
    if (f.endsWith('.gz')) continue; // compressed by this daemon: json-file already
    let first: Buffer;
    try {
      const fd = fs.openSync(f, 'r');
      try { first = Buffer.alloc(1); if (fs.readSync(fd, first, 0, 1, 0) === 0) continue; } finally { fs.closeSync(fd); }
    } catch { continue; }
    if (first[0] === 0x7b /* '{': json-file already */) continue;
    const tmp = `${f}.upgrade`;
    const out = fs.openSync(tmp, 'w', 0o640);
    try {
      for await (const batch of readK8sLogBatches(f)) {
        fs.writeSync(out, batch.map((e) => encodeJsonLogLine(e.stream, e.line, k8sTimeToUtc(e.time) ?? e.time)).join(''));
      }
    } finally {
      fs.closeSync(out);
    }
    fs.renameSync(tmp, f);
  }
}
