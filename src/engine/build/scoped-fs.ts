/**
 * File operations confined to a root directory (a build context or an image rootfs being
 * built): path resolution that follows symlinks *inside* the root only (an absolute link
 * target or `..` is taken relative to the root, never the host: SECURITY-CHECKS 15), tar
 * extraction that never writes outside the root, and a recursive copy that copies symlinks
 * as links (never follows them).
 *
 *   const p = resolveInRoot('/ctx', 'a/link/file');   // '/ctx/…' whatever `link` points at
 *   await extractTarInto(rootfs, '/opt/app', tarReader, { owner: { uid: 0, gid: 0 } });
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors.ts';
import type { TarEntry } from '../../common/tar/index.ts';
import { onlyErrno } from '../../common/cleanups.ts';

const MAX_LINKS = 255;

export interface Owner { uid: number; gid: number }

/** Thrown when a path (or a symlink in it) leads out of a root that must not be left. */
export class OutsideRootError extends InvalidArgumentError {}

/**
 * The host path of `p` (absolute or relative, both taken from the root) inside `root`,
 * resolving symlinks in scope. `followLast` = false leaves a final symlink unresolved.
 * With `strict`, a `..` or a symlink that would climb above the root throws OutsideRootError
 * instead of being clamped.
 */
export function resolveInRoot(root: string, p: string, o: { followLast?: boolean; strict?: boolean } = {}): string {
  const followLast = o.followLast ?? true;
  const queue = p.split('/').filter((c) => c !== '' && c !== '.');
  const cur: string[] = [];
  let links = 0;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      if (cur.length === 0 && o.strict) throw new OutsideRootError(`path ${p} is outside of the root`);
      cur.pop();
      continue;
    }
    const host = path.join(root, ...cur, c);
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(host); } catch { st = undefined; }
    if (st?.isSymbolicLink() && (queue.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new InvalidArgumentError(`too many levels of symbolic links: ${p}`);
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) {
        if (o.strict) throw new OutsideRootError(`symlink ${p} points outside of the root`);
        cur.length = 0;
      }
      queue.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    cur.push(c);
  }
  return path.join(root, ...cur);
}

/** mkdir -p inside the root (missing components get `mode` and `owner`). Returns the host path. */
export function mkdirInRoot(root: string, p: string, owner: Owner = { uid: 0, gid: 0 }, mode = 0o755): string {
  const host = resolveInRoot(root, p);
  const rel = path.relative(root, host);
  let cur = root;
  for (const c of rel ? rel.split(path.sep) : []) {
    cur = path.join(cur, c);
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(cur); } catch { st = undefined; }
    if (!st) {
      fs.mkdirSync(cur, { mode });
      fs.chmodSync(cur, mode);
      fs.lchownSync(cur, owner.uid, owner.gid);
    } else if (!st.isDirectory()) {
      throw new InvalidArgumentError(`mkdir ${p}: not a directory`);
    }
  }
  return host;
}

/** Removes whatever is at host path `p` (a symlink is removed, never followed). */
export function clear(p: string, keepDir: boolean): void {
  let st: fs.Stats;
  try { st = fs.lstatSync(p); } catch { return; }
  if (keepDir && st.isDirectory()) return;
  fs.rmSync(p, { recursive: true, force: true });
}

export interface ExtractOptions {
  /** Overrides the archive's uid/gid (`--chown`, or the build context). */
  owner?: Owner;
  /** Refuse entries that climb out instead of clamping them (the build context). */
  strict?: boolean;
}

/** Normalised entry name relative to the extraction dir, or undefined for `.`; throws for escapes. */
export function entryName(name: string): string | undefined {
  const n = path.posix.normalize(name.replace(/^\/+/, ''));
  if (n === '.' || n === './' || n === '') return undefined;
  if (n === '..' || n.startsWith('../')) throw new OutsideRootError(`forbidden path outside the build context: ${name}`);
  return n.replace(/\/+$/, '');
}

/**
 * Extracts tar entries under `dir` (a path inside `root`). Parents resolve in scope; the
 * final component is replaced, not followed; hard links must point at an entry inside.
 */
export async function extractTarInto(root: string, dir: string, entries: AsyncIterable<TarEntry>, o: ExtractOptions = {}): Promise<number> {
  const dirTimes: [string, number][] = [];
  let count = 0;
  for await (const { header: h, body } of entries) {
    const name = entryName(h.name);
    if (name === undefined) { for await (const _ of body) { /* drain */ } continue; }
    const rel = path.posix.join(dir, name);
    const parent = mkdirInRoot(root, path.posix.dirname(rel));
    const target = path.join(parent, path.posix.basename(rel));
    const owner = o.owner ?? { uid: h.uid, gid: h.gid };
    count++;
    if (h.type === 'dir') {
      clear(target, true);
      if (!fs.existsSync(target)) fs.mkdirSync(target);
      fs.chmodSync(target, h.mode & 0o7777);
      fs.lchownSync(target, owner.uid, owner.gid);
      dirTimes.push([target, h.mtime]);
      continue;
    }
    clear(target, false);
    if (h.type === 'file') {
      await pipeline(Readable.from(body), fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      fs.lchownSync(target, owner.uid, owner.gid);
      fs.chmodSync(target, h.mode & 0o7777);
      fs.utimesSync(target, h.mtime, h.mtime);
      continue;
    }
    for await (const _ of body) { /* drain */ }
    if (h.type === 'symlink') {
      fs.symlinkSync(h.linkname, target);
      fs.lchownSync(target, owner.uid, owner.gid);
    } else if (h.type === 'link') {
      const linkRel = entryName(h.linkname);
      if (linkRel === undefined) throw new OutsideRootError(`invalid hardlink ${h.name} -> ${h.linkname}`);
      const src = resolveInRoot(root, path.posix.join(dir, linkRel), { followLast: false });
      const st = fs.lstatSync(src, { throwIfNoEntry: false });
      if (!st || st.isDirectory()) throw new InvalidArgumentError(`invalid hardlink ${h.name} -> ${h.linkname}`);
      fs.linkSync(src, target);
    } else {
      count--; // devices and fifos are not created by the builder
    }
  }
  for (const [d, t] of dirTimes.reverse()) { try { fs.utimesSync(d, t, t); } catch (err) { onlyErrno(err, 'ENOENT'); /* gone */ } }
  return count;
}

/**
 * Copies host path `src` (file, dir or symlink; never followed below the top) to host path
 * `dst`, preserving modes and times; owner = `owner` or the source's.
 */
export function copyTree(src: string, dst: string, owner?: Owner): void {
  const st = fs.lstatSync(src);
  const own = owner ?? { uid: st.uid, gid: st.gid };
  if (st.isDirectory()) {
    clear(dst, true);
    if (!fs.existsSync(dst)) fs.mkdirSync(dst);
    for (const e of fs.readdirSync(src).sort()) copyTree(path.join(src, e), path.join(dst, e), owner);
    fs.chmodSync(dst, st.mode & 0o7777);
    fs.lchownSync(dst, own.uid, own.gid);
    fs.utimesSync(dst, st.atime, st.mtime);
    return;
  }
  clear(dst, false);
  if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(src), dst);
    fs.lchownSync(dst, own.uid, own.gid);
    return;
  }
  if (!st.isFile()) return;
  fs.copyFileSync(src, dst);
  fs.lchownSync(dst, own.uid, own.gid);
  fs.chmodSync(dst, st.mode & 0o7777);
  fs.utimesSync(dst, st.atime, st.mtime);
}
