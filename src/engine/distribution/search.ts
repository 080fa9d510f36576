/**
 * `docker search`: which index a term names (docker's ParseSearchIndexInfo: a first path
 * component with a `.` or `:`, or `localhost`, is a registry host; anything else searches
 * Docker Hub), the limit and filter rules of the Engine API, and the result shape.
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import type { SearchResultV1 } from '../../registry/client/index.ts';

export interface SearchItem {
  star_count: number;
  is_official: boolean;
  name: string;
  is_automated: boolean;
  description: string;
}

const FILTERS = new Set(['stars', 'is-automated', 'is-official']);

/** `127.0.0.1:5000/foo` → index `127.0.0.1:5000`, remote `foo`; `foo/bar` → docker.io, `foo/bar`. */
export function splitSearchTerm(term: string): { index: string; remote: string } {
  const i = term.indexOf('/');
  if (i > 0) {
    const first = term.slice(0, i);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      return { index: first === 'index.docker.io' || first === 'registry-1.docker.io' ? 'docker.io' : first, remote: term.slice(i + 1) };
    }
  }
  return { index: 'docker.io', remote: term };
}

/** The API's `limit` (default 25, docker's range 1..100). */
export function searchLimit(raw: number | undefined): number {
  if (raw === undefined || raw === 0) return 25;
  if (raw < 1 || raw > 100) throw new InvalidArgumentError(`limit ${raw} is outside the range of [1, 100]`);
  return raw;
}

function boolFilter(values: string[] | undefined, key: string): boolean | undefined {
  if (!values || values.length === 0) return undefined;
  const v = values[values.length - 1]!.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${values[values.length - 1]}'`);
}

/** Applies docker's search filters (stars ≥ N, is-official, is-automated) and the limit. */
export function filterResults(doc: SearchResultV1, filters: Record<string, string[]>, limit: number): SearchItem[] {
  for (const k of Object.keys(filters)) if (!FILTERS.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  let minStars = 0;
  for (const s of filters.stars ?? []) {
    const n = Number(s);
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`invalid filter 'stars=${s}'`);
    minStars = Math.max(minStars, n);
  }
  const official = boolFilter(filters['is-official'], 'is-official');
  const automated = boolFilter(filters['is-automated'], 'is-automated');
  const out: SearchItem[] = [];
  for (const r of doc.results) {
    const item: SearchItem = {
      star_count: Number(r.star_count) || 0,
      is_official: !!r.is_official,
      name: String(r.name ?? ''),
      is_automated: !!r.is_automated,
      description: String(r.description ?? ''),
    };
    if (item.star_count < minStars) continue;
    if (official !== undefined && item.is_official !== official) continue;
    if (automated !== undefined && item.is_automated !== automated) continue;
    out.push(item);
  }
  return out.slice(0, limit);
}
