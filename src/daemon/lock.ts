/**
 * One daemon per data root: `<data-root>/wharfd.lock` holds the owner's pid. A second daemon
 * refuses to start while that pid is a live wharfd; a stale lock (dead pid) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { onlyErrno } from '../common/cleanups.ts';

export class DataRootLock {
  private constructor(private readonly file: string) {}

  static acquire(dataRoot: string): DataRootLock {
    const file = path.join(dataRoot, 'wharfd.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx', 0o600);
        fs.writeSync(fd, String(process.pid));
        fs.closeSync(fd);
        return new DataRootLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number(fs.readFileSync(file, 'utf8').trim());
      if (owner && owner !== process.pid && isLiveDaemon(owner)) {
        throw new Error(`another wharfd (pid ${owner}) is already using data root ${dataRoot}; stop it first or use a different --data-root`);
      }
      fs.rmSync(file, { force: true });
    }
    throw new Error(`could not lock data root ${dataRoot}`);
  }

  release(): void {
    try {
      if (Number(fs.readFileSync(this.file, 'utf8').trim()) === process.pid) fs.rmSync(this.file, { force: true });
    } catch (err) { onlyErrno(err, 'ENOENT'); /* already gone */ }
  }
}

/** Alive and not a zombie (PID 1 here reaps late, so kill(pid, 0) is not enough). */
export function isLiveDaemon(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) return false;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('wharfd');
  } catch {
    return false;
  }
}
