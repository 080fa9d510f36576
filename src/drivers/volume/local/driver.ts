/**
 * The `local` volume driver: a directory per volume, optionally with a filesystem mounted on
 * it while containers use it (docker's `--opt type=… --opt device=… --opt o=…`).
 *
 * On disk:
 *   <data-root>/volumes/                 0701
 *   <data-root>/volumes/<name>/          0701
 *   <data-root>/volumes/<name>/_data/    0755, the volume's content (the container mounts this)
 *
 * Options: none → a plain directory; `type=tmpfs,device=tmpfs,o=size=64m` → a tmpfs mounted at
 * `_data` on first use and unmounted when the last container stops (its data goes with it, as
 * in docker); `type=none,o=bind,device=/path` → `/path` bind-mounted at `_data`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, SystemError } from '../../../common/errors.ts';
import { onlyErrno } from '../../../common/cleanups.ts';
import type { VolumeDriver } from '../contract.ts';
import { isMountPoint } from '../../../common/native/mount.ts';

const VALID_OPTS = new Set(['type', 'device', 'o', 'size']);
/** Prefix of a volume directory being removed (see remove/recover). */
const REMOVING = '.tmp-rm-';

export class LocalVolumeDriver implements VolumeDriver {
  readonly name = 'local';

  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true, mode: 0o701 });
  }

  /** docker's local driver option rules (`invalid option: "x"`, `missing required option: "device"`). */
  validateOptions(opts: Record<string, string> | null | undefined): void {
    if (!opts || Object.keys(opts).length === 0) return;
    for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) throw new InvalidArgumentError(`invalid option: "${k}"`);
    if (opts.size !== undefined) throw new InvalidArgumentError('quota size requested but no quota support');
    if (!opts.device) throw new InvalidArgumentError('missing required option: "device"');
  }

  dataDir(name: string): string {
    return path.join(this.root, name, '_data');
  }

  create(name: string): string {
    const dir = path.join(this.root, name);
    fs.mkdirSync(dir, { mode: 0o701, recursive: true });
    const data = this.dataDir(name);
    fs.mkdirSync(data, { mode: 0o755, recursive: true });
    fs.chmodSync(data, 0o755);
    return data;
  }

  exists(name: string): boolean {
    return fs.existsSync(this.dataDir(name));
  }

  /** Mounts the configured filesystem at `_data` unless it is mounted already. */
  mount(name: string, opts: Record<string, string> | null): void {
    if (!opts?.device) return;
    const data = this.dataDir(name);
    if (isMountPoint(data)) return;
    const args = [...(opts.type ? ['-t', opts.type] : []), ...(opts.o ? ['-o', opts.o] : []), opts.device, data];
    try {
      execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const msg = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
      throw new SystemError(`error while mounting volume '${data}': failed to mount local volume: mount ${opts.device}:${data}, data: ${opts.o ?? ''}: ${msg}`);
    }
  }

  unmount(name: string): void {
    const data = this.dataDir(name);
    if (!isMountPoint(data)) return;
    try {
      execFileSync('umount', [data], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', data], { stdio: 'ignore' });
    }
  }

  /**
   * Unmounts, renames the volume's directory to `.tmp-rm-<rand>-<name>` (one step: a volume
   * is there whole or not at all), then deletes it. A daemon killed before the end leaves the
   * renamed directory, which `recover` finds at the next start.
   */
  remove(name: string): void {
    this.unmount(name);
    const dir = path.join(this.root, name);
    if (!fs.existsSync(dir)) return;
    const tmp = path.join(this.root, `${REMOVING}${randomBytes(8).toString('hex')}-${name}`);
    fs.renameSync(dir, tmp);
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  /**
   * Start: finishes removals a killed daemon cut short (returns the names whose row must go
   * too) and removes empty directories left by a create cut short before its row was written
   * (`known` says which names have rows). A directory holding data without a row is kept.
   */
  recover(known: (name: string) => boolean, log: (msg: string) => void): string[] {
    const removed: string[] = [];
    for (const entry of fs.readdirSync(this.root)) {
      const m = /^\.tmp-rm-[0-9a-f]{16}-(.+)$/.exec(entry);
      if (m) {
        if (!fs.existsSync(path.join(this.root, m[1]!))) removed.push(m[1]!);
        fs.rmSync(path.join(this.root, entry), { recursive: true, force: true });
        continue;
      }
      if (entry.startsWith('.') || known(entry)) continue;
      if (this.isEmpty(entry) && !isMountPoint(this.dataDir(entry))) fs.rmSync(path.join(this.root, entry), { recursive: true, force: true });
      else log(`volume directory ${entry} has data but no record: left in place`);
    }
    return removed;
  }

  isEmpty(name: string): boolean {
    try {
      return fs.readdirSync(this.dataDir(name)).length === 0;
    } catch {
      return true;
    }
  }

  /** Bytes used by the volume's files (apparent sizes, links not followed). */
  size(name: string): number {
    return treeSize(this.dataDir(name));
  }
}

function treeSize(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return 0; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += treeSize(p);
    else {
      try { total += fs.lstatSync(p).size; } catch (err) { onlyErrno(err, 'ENOENT'); /* vanished */ }
    }
  }
  return total;
}
