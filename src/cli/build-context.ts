/**
 * The build context `wharf build` uploads: a directory walked into a tar stream, minus what
 * `.dockerignore` excludes, matched as docker's CLI does (moby's patterns, see
 * src/common/dockerignore.ts; an excluded directory is skipped unless an exception may
 * re-include something under it). The Dockerfile and .dockerignore are always sent (the
 * builder drops them when .dockerignore names them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PatternMatcher, readDockerignore } from '../common/dockerignore.ts';
import type { TarWriteEntry } from '../common/tar/index.ts';

/** Parses .dockerignore text (throws docker's message on a malformed pattern). */
export function parseDockerignore(text: string): PatternMatcher {
  return new PatternMatcher(readDockerignore(text));
}

/** Whether the walk leaves out a directory: excluded, and no exception can reach under it. */
function skipsDir(dir: string, pm: PatternMatcher): boolean {
  return pm.matches(dir) && !pm.mayIncludeUnder(dir);
}

/** Whether a context-relative path (posix) is left out of the context. */
export function isExcluded(rel: string, pm: PatternMatcher): boolean {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) if (skipsDir(parts.slice(0, i).join('/'), pm)) return true;
  return pm.matches(rel);
}

/**
 * Tar entries for the context directory (names relative, posix). `override`: files sent
 * with this content instead of the one on disk (or added at the end when absent there).
 */
export async function* contextEntries(dir: string, pm: PatternMatcher, override: ReadonlyMap<string, Buffer> = new Map()): AsyncGenerator<TarWriteEntry> {
  const sent = new Set<string>();
  const replaced = (name: string, data: Buffer): TarWriteEntry => {
    sent.add(name);
    return { header: { name, type: 'file', size: data.length, mode: 0o600, uid: 0, gid: 0, mtime: Math.floor(Date.now() / 1000) }, body: data };
  };
  async function* walk(abs: string, rel: string): AsyncGenerator<TarWriteEntry> {
    const names = (await fs.promises.readdir(abs)).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = path.join(abs, name);
      const st = await fs.promises.lstat(childAbs);
      const excluded = pm.matches(childRel);
      if (excluded && !(st.isDirectory() && pm.mayIncludeUnder(childRel))) continue;
      const data = override.get(childRel);
      if (data && !st.isDirectory()) { yield replaced(childRel, data); continue; }
      const header = { name: childRel, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isDirectory()) {
        if (!excluded) yield { header: { ...header, type: 'dir' } };
        yield* walk(childAbs, childRel);
      } else if (st.isSymbolicLink()) yield { header: { ...header, type: 'symlink', linkname: await fs.promises.readlink(childAbs) } };
      else if (st.isFile()) yield { header: { ...header, type: 'file', size: st.size }, body: fs.createReadStream(childAbs) as AsyncIterable<Buffer> };
    }
  }
  yield* walk(dir, '');
  for (const [name, data] of override) if (!sent.has(name)) yield replaced(name, data);
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
