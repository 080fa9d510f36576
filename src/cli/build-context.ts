/**
 * The build context `wharf build` uploads: a directory walked into a tar stream, minus what
 * `.dockerignore` excludes (Go filepath.Match patterns, `**`, `!` exceptions, last match
 * wins; a pattern matching a directory excludes what is under it). The Dockerfile and
 * .dockerignore are always sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TarWriteEntry } from '../common/tar/index.ts';

export interface IgnorePattern { negate: boolean; re: RegExp; source: string }

/** Parses .dockerignore text into ordered patterns. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) { negate = true; line = line.slice(1).trim(); }
    let p = path.posix.normalize(line.replace(/^\/+/, ''));
    if (p === '.' || p === '') p = '.';
    p = p.replace(/\/+$/, '');
    out.push({ negate, re: patternRegExp(p), source: p });
  }
  return out;
}

/** Go filepath.Match syntax plus `**` (any number of path elements). */
export function patternRegExp(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      let cls = p.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1); else if (cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < p.length) { re += escape(p[++i]!); } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

function escape(c: string): string {
  return /[.+^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Whether a context-relative path (posix) is excluded. Parent directory matches count. */
export function isExcluded(rel: string, patterns: IgnorePattern[]): boolean {
  const parents: string[] = [];
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) parents.push(parts.slice(0, i).join('/'));
  let excluded = false;
  for (const p of patterns) {
    const hit = parents.some((q) => p.re.test(q)) || (p.source === '.');
    if (hit) excluded = !p.negate;
  }
  return excluded;
}

/** Tar entries for the context directory (names relative, posix). */
export async function* contextEntries(dir: string, patterns: IgnorePattern[], keep: Set<string>): AsyncGenerator<TarWriteEntry> {
  const hasExceptions = patterns.some((p) => p.negate);
  async function* walk(abs: string, rel: string): AsyncGenerator<TarWriteEntry> {
    const names = (await fs.promises.readdir(abs)).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = path.join(abs, name);
      const st = await fs.promises.lstat(childAbs);
      const excluded = !keep.has(childRel) && isExcluded(childRel, patterns);
      if (excluded && !(st.isDirectory() && hasExceptions)) continue;
      const header = { name: childRel, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isDirectory()) {
        if (!excluded) yield { header: { ...header, type: 'dir' } };
        yield* walk(childAbs, childRel);
      } else if (excluded) continue;
      else if (st.isSymbolicLink()) yield { header: { ...header, type: 'symlink', linkname: await fs.promises.readlink(childAbs) } };
      else if (st.isFile()) yield { header: { ...header, type: 'file', size: st.size }, body: fs.createReadStream(childAbs) as AsyncIterable<Buffer> };
    }
  }
  yield* walk(dir, '');
}

/** Build flags → `POST /build` query. */
export function buildQuery(o: { tag: string[]; file?: string; buildArg: string[]; noCache?: boolean; pull?: boolean; quiet?: boolean; target?: string; label: string[]; platform?: string; network?: string; addHost: string[]; rm: boolean; forceRm?: boolean; shmSize?: number; memory?: number }, lookupEnv: (k: string) => string | undefined = (k) => process.env[k]): Record<string, string | boolean | string[] | number | undefined> {
  const buildargs: Record<string, string | null> = {};
  for (const a of o.buildArg) {
    const i = a.indexOf('=');
    if (i < 0) { const v = lookupEnv(a); buildargs[a] = v ?? null; } else buildargs[a.slice(0, i)] = a.slice(i + 1);
  }
  const labels: Record<string, string> = {};
  for (const l of o.label) { const i = l.indexOf('='); labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1); }
  return {
    t: o.tag, dockerfile: o.file, buildargs: Object.keys(buildargs).length ? JSON.stringify(buildargs) : undefined,
    nocache: o.noCache, pull: o.pull, q: o.quiet, target: o.target, labels: Object.keys(labels).length ? JSON.stringify(labels) : undefined,
    platform: o.platform, networkmode: o.network, extrahosts: o.addHost.length ? o.addHost.join(',') : undefined,
    rm: o.rm ? undefined : '0', forcerm: o.forceRm, shmsize: o.shmSize, memory: o.memory,
  };
}
