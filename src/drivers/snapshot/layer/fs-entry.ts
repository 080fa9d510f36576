/**
 * Turns files on disk into tar entries for layer diffs (common/tar/fs-entry.ts) with their
 * `user.*`/`security.*` xattrs; a file that shrinks while read fails the diff.
 */
import fs from 'node:fs';
import { llistxattr, lgetxattr } from '../../../common/native/libc.ts';
import type { TarWriteEntry } from '../../../common/tar/index.ts';
import { fsEntry as fsEntryOf, type LinkMap } from '../../../common/tar/fs-entry.ts';

export type { LinkMap };

export function layerXattrs(abs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of llistxattr(abs)) {
    if (!name.startsWith('user.') && !name.startsWith('security.')) continue;
    const v = lgetxattr(abs, name);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}

/** The tar entry for `abs` stored as `rel`, with its layer xattrs; undefined for sockets (docker skips them). */
export function fsEntry(abs: string, rel: string, st: fs.Stats, links: LinkMap): TarWriteEntry | undefined {
  return fsEntryOf(abs, st.isDirectory() ? `${rel}/` : rel, st, links, { xattrs: layerXattrs(abs), shrunk: 'throw' });
}

/** Sorted directory listing (tar order is stable and reproducible). */
export function sortedDir(abs: string): string[] {
  return fs.readdirSync(abs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Docker's `docker diff` list: ancestors of changed paths are reported as modified. */
export function withParents(changes: Map<string, 0 | 1 | 2>): { Path: string; Kind: 0 | 1 | 2 }[] {
  for (const p of [...changes.keys()]) {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const parent = p.slice(0, i);
      if (!changes.has(parent)) changes.set(parent, 0);
    }
  }
  return [...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Path, Kind]) => ({ Path, Kind }));
}
