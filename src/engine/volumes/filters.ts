/**
 * `volume ls` and `volume prune` filters with docker's rules and messages:
 *   ls:    dangling=true|false|1|0, name=<substring>, label=<key>[=<value>], driver=<name>
 *   prune: label=…, label!=…, all=true|false (docker ≥ 23: without all only anonymous volumes)
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import type { StoredVolume } from '../../store/volume-store.ts';
import { labelsMatch, pruneLabelsMatch } from '../../api/types/labels.ts';

export type Filters = Record<string, string[]>;

const LS_KEYS = ['dangling', 'name', 'label', 'driver'];
const PRUNE_KEYS = ['label', 'label!', 'all'];

function checkKeys(f: Filters, allowed: string[]): void {
  for (const k of Object.keys(f)) if (!allowed.includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
}

function boolFilter(f: Filters, key: string): boolean | undefined {
  const vals = f[key];
  if (!vals?.length) return undefined;
  let out: boolean | undefined;
  for (const v of vals) {
    const l = v.toLowerCase();
    if (l === 'true' || l === '1') out = true;
    else if (l === 'false' || l === '0') out = out ?? false;
    else throw new InvalidArgumentError(`invalid filter '${key}=${v}'`);
  }
  return out;
}

/** Returns a predicate for `volume ls`; `inUse` tells whether a volume has containers. */
export function listFilter(f: Filters, inUse: (name: string) => boolean): (v: StoredVolume) => boolean {
  checkKeys(f, LS_KEYS);
  const dangling = boolFilter(f, 'dangling');
  return (v) => {
    if (dangling !== undefined && dangling === inUse(v.Name)) return false;
    if (f.name?.length && !f.name.some((n) => v.Name.includes(n))) return false;
    if (f.driver?.length && !f.driver.includes(v.Driver)) return false;
    if (f.label?.length && !labelsMatch(f.label, v.Labels)) return false;
    return true;
  };
}

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Returns a predicate for `volume prune` (the caller skips volumes in use). */
export function pruneFilter(f: Filters, pruneAllByDefault: boolean): (v: StoredVolume) => boolean {
  checkKeys(f, PRUNE_KEYS);
  const all = boolFilter(f, 'all') ?? pruneAllByDefault;
  return (v) => {
    if (!all && !(v.Labels && ANONYMOUS_LABEL in v.Labels)) return false;
    return pruneLabelsMatch(f, v.Labels);
  };
}
