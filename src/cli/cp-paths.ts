/**
 * docker cp's client-side path rules (pkg/archive copy.go): splitting `dir/base` with the
 * `/.` "contents of" form, trailing-slash directory assertions, where to extract and how to
 * rename (rebase) archive entries so that `cp a b` lands at `b` whether or not it exists.
 */
import path from 'node:path';

/** `container:path` → [container, path]; plain host paths (and `-`) → [undefined, path]. */
export function splitCpArg(arg: string): [string | undefined, string] {
  if (arg.startsWith('/') || arg.startsWith('.') || arg === '-') return [undefined, arg];
  const i = arg.indexOf(':');
  if (i <= 0) return [undefined, arg];
  return [arg.slice(0, i), arg.slice(i + 1)];
}

/** True when the path's last element is `.` (`dir/.`). */
export function specifiesCurrentDir(p: string): boolean {
  return path.posix.basename(p) === '.' && (p === '.' || p.endsWith('/.'));
}

/** True when the path must be a directory: ends with `/` or `/.`. */
export function assertsDirectory(p: string): boolean {
  return p.endsWith('/') || specifiesCurrentDir(p);
}

/** pkg/archive SplitPathDirEntry: `/a/b/` → [`/a`, `b`]; `/a/b/.` → [`/a/b`, `.`]. */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = path.posix.normalize(p);
  if (cleaned.length > 1) cleaned = cleaned.replace(/\/+$/, '');
  if (specifiesCurrentDir(p)) cleaned = (cleaned === '/' ? '' : cleaned) + '/.';
  const dir = path.posix.dirname(cleaned);
  const base = path.posix.basename(cleaned) || cleaned;
  return [dir, base];
}

export interface CopyInfo { path: string; exists: boolean; isDir: boolean; rebaseName?: string }

export class CopyError extends Error {}

export interface ArchivePlan {
  /** Directory to extract the (possibly rebased) archive into. */
  dstDir: string;
  /** Rename entries whose first path element is `from` to `to`. */
  rebase?: { from: string; to: string };
}

/** pkg/archive PrepareArchiveCopy: where to extract and how to rename entries. */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): ArchivePlan {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  let [, srcBase] = splitPathDirEntry(src.path);
  if (src.rebaseName) srcBase = src.rebaseName;
  if (dst.exists && dst.isDir) return { dstDir: dst.path };
  if (dst.exists && src.isDir) throw new CopyError('cannot copy directory');
  if (dst.exists || src.isDir) return { dstDir, rebase: { from: srcBase, to: dstBase } };
  if (assertsDirectory(dst.path)) throw new CopyError('no such directory');
  return { dstDir, rebase: { from: srcBase, to: dstBase } };
}

/** pkg/archive RebaseArchiveEntries on one name: replaces the first occurrence of `from`. */
export function rebaseEntry(name: string, rebase: { from: string; to: string } | undefined): string {
  if (!rebase || rebase.from === '/') return name;
  const i = name.indexOf(rebase.from);
  if (i < 0) return name;
  return name.slice(0, i) + rebase.to + name.slice(i + rebase.from.length);
}

/** Go os.FileMode bits used in `X-Docker-Container-Path-Stat`. */
export const MODE_DIR = 2 ** 31;
export const MODE_SYMLINK = 2 ** 27;

export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

/** Decodes the base64 JSON stat header. */
export function decodePathStat(header: string | undefined): PathStat | undefined {
  if (!header) return undefined;
  try { return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat; } catch { return undefined; }
}

export function isDirMode(mode: number): boolean {
  return Math.floor(mode / MODE_DIR) % 2 === 1;
}

export function isSymlinkMode(mode: number): boolean {
  return Math.floor(mode / MODE_SYMLINK) % 2 === 1;
}

/** Path of a tar entry extracted under `dir`, refusing names that climb out of it. */
export function safeJoin(dir: string, name: string): string {
  const rel = path.posix.normalize('/' + name).slice(1);
  return rel === '' ? dir : path.join(dir, rel);
}
