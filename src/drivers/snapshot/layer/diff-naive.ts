/**
 * Diff of a full rootfs copy against its parent's rootfs (vfs): entries whose type, size,
 * mode, owner, mtime (ns), device or link target changed are emitted whole; paths only in
 * the parent become `.wh.NAME` whiteouts. Content is not compared byte by byte (as docker's
 * naive differ, a rewrite that keeps size and mtime is not seen).
 */
import fs from 'node:fs';
import type { TarWriteEntry } from '../../../common/tar/index.ts';
import { WHITEOUT_PREFIX } from './apply.ts';
import { fsEntry, sortedDir, withParents, type LinkMap } from './fs-entry.ts';

/** 'replaced': same path, different file type (a new subtree, reported as modified). */
type Kind = 'added' | 'replaced' | 'changed' | 'same';

function compare(a: fs.BigIntStats, b: fs.BigIntStats, aAbs: string, bAbs: string): Kind {
  const type = (s: fs.BigIntStats) => Number(s.mode) & 0o170000;
  if (type(a) !== type(b)) return 'replaced';
  const same = a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.mtimeNs === b.mtimeNs &&
    (a.isDirectory() || (a.size === b.size && a.rdev === b.rdev)) &&
    (!a.isSymbolicLink() || fs.readlinkSync(aAbs) === fs.readlinkSync(bAbs));
  return same ? 'same' : 'changed';
}

interface Visit { rel: string; abs: string; kind: Kind | 'deleted' }

/** Walks `dir` against `parent` (undefined = empty), calling back in tar order. */
function* visit(dir: string, parent: string | undefined, rel = ''): Generator<Visit> {
  const cur = sortedDir(rel === '' ? dir : `${dir}/${rel}`);
  const oldAbs = parent === undefined ? undefined : rel === '' ? parent : `${parent}/${rel}`;
  const old = oldAbs === undefined ? [] : sortedDir(oldAbs);
  const curSet = new Set(cur);
  for (const name of old) {
    if (!curSet.has(name)) yield { rel: rel === '' ? name : `${rel}/${name}`, abs: '', kind: 'deleted' };
  }
  const oldSet = new Set(old);
  for (const name of cur) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const abs = `${dir}/${r}`;
    const st = fs.lstatSync(abs, { bigint: true });
    let kind: Kind = 'added';
    if (oldSet.has(name) && parent !== undefined) kind = compare(st, fs.lstatSync(`${parent}/${r}`, { bigint: true }), abs, `${parent}/${r}`);
    yield { rel: r, abs, kind };
    if (st.isDirectory()) yield* visit(dir, kind === 'added' || kind === 'replaced' ? undefined : parent, r);
  }
}

export async function* naiveDiffEntries(dir: string, parent: string | undefined): AsyncGenerator<TarWriteEntry> {
  const links: LinkMap = new Map();
  for (const v of visit(dir, parent)) {
    if (v.kind === 'deleted') {
      const i = v.rel.lastIndexOf('/');
      yield { header: { name: i < 0 ? `${WHITEOUT_PREFIX}${v.rel}` : `${v.rel.slice(0, i)}/${WHITEOUT_PREFIX}${v.rel.slice(i + 1)}`, type: 'file', size: 0 } };
    } else if (v.kind !== 'same') {
      const e = fsEntry(v.abs, v.rel, fs.lstatSync(v.abs), links);
      if (e) yield e;
    }
  }
}

export function naiveChanges(dir: string, parent: string | undefined): { Path: string; Kind: 0 | 1 | 2 }[] {
  const changes = new Map<string, 0 | 1 | 2>();
  for (const v of visit(dir, parent)) {
    if (v.kind === 'deleted') changes.set(`/${v.rel}`, 2);
    else if (v.kind === 'added') changes.set(`/${v.rel}`, 1);
    else if (v.kind !== 'same') changes.set(`/${v.rel}`, 0);
  }
  return withParents(changes);
}
