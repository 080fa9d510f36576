/**
 * Diff of an overlayfs upper directory: the upper dir already is the change set. Char 0/0
 * devices become `.wh.NAME` entries, opaque dirs get a `.wh..wh..opq` entry after the dir.
 */
import fs from 'node:fs';
import { lgetxattr } from '../../../common/native/libc.ts';
import type { TarWriteEntry } from '../../../common/tar/index.ts';
import { OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX } from './apply.ts';
import { fsEntry, sortedDir, withParents, type LinkMap } from './fs-entry.ts';

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(abs: string): boolean {
  return lgetxattr(abs, OPAQUE_XATTR)?.toString() === 'y';
}

/** Tar entries for the changes recorded in `upper`. */
export async function* overlayDiffEntries(upper: string): AsyncGenerator<TarWriteEntry> {
  const links: LinkMap = new Map();
  async function* walk(rel: string): AsyncGenerator<TarWriteEntry> {
    const dirAbs = rel === '' ? upper : `${upper}/${rel}`;
    for (const name of sortedDir(dirAbs)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = `${upper}/${r}`;
      const st = fs.lstatSync(abs);
      if (isWhiteout(st)) {
        const wh = rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`;
        yield { header: { name: wh, type: 'file', size: 0, mtime: Math.floor(st.mtimeMs / 1000), uid: st.uid, gid: st.gid } };
        continue;
      }
      const e = fsEntry(abs, r, st, links);
      if (e) yield e;
      if (st.isDirectory()) {
        if (isOpaque(abs)) yield { header: { name: `${r}/${OPAQUE_MARKER}`, type: 'file', size: 0, mtime: Math.floor(st.mtimeMs / 1000) } };
        yield* walk(r);
      }
    }
  }
  yield* walk('');
}

/** Whether `rel` exists in the lower chain (top first), honouring whiteouts and opaque dirs. */
function inLower(lowers: string[], rel: string): boolean {
  for (const lower of lowers) {
    const st = fs.lstatSync(`${lower}/${rel}`, { throwIfNoEntry: false });
    if (st) return !isWhiteout(st);
    // Absent here: a whiteout or opaque dir on the way hides everything below.
    for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      const a = fs.lstatSync(`${lower}/${rel.slice(0, i)}`, { throwIfNoEntry: false });
      if (!a) continue;
      if (!a.isDirectory() || isOpaque(`${lower}/${rel.slice(0, i)}`)) return false;
      break;
    }
  }
  return false;
}

/** docker diff for an overlay snapshot. `lowers` are the parent layers' diff dirs, top first. */
export function overlayChanges(upper: string, lowers: string[]): { Path: string; Kind: 0 | 1 | 2 }[] {
  const changes = new Map<string, 0 | 1 | 2>();
  const walk = (rel: string, allNew: boolean): void => {
    for (const name of sortedDir(rel === '' ? upper : `${upper}/${rel}`)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = fs.lstatSync(`${upper}/${r}`);
      if (isWhiteout(st)) {
        if (inLower(lowers, r)) changes.set(`/${r}`, 2);
        continue;
      }
      const added = allNew || !inLower(lowers, r);
      changes.set(`/${r}`, added ? 1 : 0);
      if (st.isDirectory()) walk(r, added || isOpaque(`${upper}/${r}`));
    }
  };
  walk('', false);
  return withParents(changes);
}
