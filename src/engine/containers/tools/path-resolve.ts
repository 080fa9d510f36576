/**
 * A container's filesystem as the daemon sees it from the host: the rootfs directory plus the
 * container's mounts (volumes, binds, the /etc/hostname|hosts|resolv.conf files), and a path
 * resolver that follows symlinks *inside* that view, never on the host (moby's
 * FollowSymlinkInScope / Go's securejoin, extended across mount points).
 *
 *   const cfs = new ContainerFs('/var/lib/wharf/overlay2/<id>/merged', [{ destination: '/data', source: '/srv/d', readOnly: false }]);
 *   cfs.resolve('/data/../etc/passwd')   // { path: '/etc/passwd', host: '<root>/etc/passwd' }
 *   cfs.resolve('/hostlink/x')           // /hostlink -> /tmp: { path: '/tmp/x', host: '<root>/tmp/x' }
 *   cfs.resolve('/data/f')               // { path: '/data/f', host: '/srv/d/f', mount: … }
 *
 * Every component is lstat'ed on the host path that the mount table gives for the container
 * path built so far; a symlink's target is spliced back into the remaining components (an
 * absolute target restarts at the container root, `..` never climbs above it). Components
 * that do not exist are taken as plain names. 255 links at most (ELOOP, as Linux).
 * The result is race-free only against a stopped container; against a running one, callers
 * open the final component with O_NOFOLLOW (what moby also accepts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../../common/errors.ts';

export interface FsMount {
  /** Absolute, cleaned path inside the container. */
  destination: string;
  /** Host path mounted there (a directory or a file). */
  source: string;
  readOnly: boolean;
}

export interface ResolvedPath {
  /** Cleaned absolute path inside the container, every symlink followed (but the last when asked). */
  path: string;
  /** Where that path is on the host. */
  host: string;
  /** The mount it lies in, when not in the rootfs. */
  mount?: FsMount;
}

const MAX_LINKS = 255;

/** `/a/./b/../c/` → `/a/c`; never above `/`. */
export function cleanContainerPath(p: string): string {
  return path.posix.normalize(`/${p}`).replace(/(.)\/+$/, '$1');
}

export class ContainerFs {
  readonly root: string;
  readonly mounts: FsMount[];

  constructor(root: string, mounts: FsMount[]) {
    this.root = root;
    // Longest destination first: the innermost mount wins.
    this.mounts = mounts
      .map((m) => ({ ...m, destination: cleanContainerPath(m.destination) }))
      .sort((a, b) => b.destination.length - a.destination.length);
  }

  /** The mount covering a cleaned container path, if any. */
  mountOf(cpath: string): FsMount | undefined {
    return this.mounts.find((m) => cpath === m.destination || cpath.startsWith(m.destination === '/' ? '/' : `${m.destination}/`));
  }

  /** Host path of a cleaned container path, with no symlink resolution. */
  hostOf(cpath: string): { host: string; mount?: FsMount } {
    const m = this.mountOf(cpath);
    if (m) return { host: m.source + cpath.slice(m.destination === '/' ? 0 : m.destination.length), mount: m };
    return { host: cpath === '/' ? this.root : this.root + cpath };
  }

  /**
   * Resolves `p` (relative paths count from `/`) in the container's scope. With
   * `followFinal = false` a symlink in the last component is returned as itself.
   */
  resolve(p: string, followFinal = true): ResolvedPath {
    let resolved = '/';
    let rest = p.split('/');
    let links = 0;
    while (rest.length > 0) {
      const c = rest.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        resolved = path.posix.dirname(resolved);
        continue;
      }
      const next = resolved === '/' ? `/${c}` : `${resolved}/${c}`;
      const last = rest.every((x) => x === '' || x === '.');
      if (last && !followFinal) {
        resolved = next;
        continue;
      }
      const { host } = this.hostOf(next);
      const st = lstatOrUndefined(host);
      if (!st?.isSymbolicLink()) {
        resolved = next;
        continue;
      }
      if (++links > MAX_LINKS) throw new InvalidArgumentError(`too many links in ${p}`);
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) resolved = '/';
      rest = [...target.split('/'), ...rest];
    }
    return { path: resolved, ...this.hostOf(resolved) };
  }
}

export function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // A path the client made longer than the kernel takes: its mistake, not the daemon's.
    if (code === 'ENAMETOOLONG') throw new InvalidArgumentError(`invalid path: ${(err as Error).message.replace(/, lstat .*/, '')}`);
    throw err;
  }
}
