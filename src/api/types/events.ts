/** Engine events on the wire (`GET /events`), their filters and time bounds. */
import { labelsMatch } from './labels.ts';
export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config' | 'builder';

export interface EngineEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

export type EventFilters = Record<string, string[]>;

export interface EventQuery {
  /** Seconds since epoch (may be fractional). */
  since?: number;
  until?: number;
  filters?: EventFilters;
}

const VALID_FILTERS = new Set(['container', 'image', 'event', 'type', 'label', 'volume', 'network', 'daemon', 'plugin', 'scope', 'node', 'service', 'secret', 'config']);

export function validateEventFilters(f: EventFilters): void {
  for (const k of Object.keys(f)) if (!VALID_FILTERS.has(k)) throw new Error(`Invalid filter '${k}'`);
}

export function matchesEvent(e: EngineEvent, f: EventFilters | undefined): boolean {
  if (!f) return true;
  const any = (key: string, values: string[]) => { const want = f[key]; return !want || want.length === 0 || want.some((w) => values.includes(w)); };
  const name = e.Actor.Attributes.name ?? '';
  if (!any('type', [e.Type])) return false;
  if (!any('event', [e.Action, e.Action.split(':')[0]!])) return false;
  if (!any('scope', ['local'])) return false;
  if (f.container && f.container.length && (e.Type !== 'container' || !f.container.some((c) => e.Actor.ID.startsWith(c) || name === c))) return false;
  if (f.image && f.image.length) {
    const img = e.Type === 'image' ? [e.Actor.ID, name] : [e.Actor.Attributes.image ?? e.from ?? ''];
    if (!f.image.some((i) => img.includes(i) || img.includes(`${i}:latest`))) return false;
  }
  for (const kind of ['volume', 'network', 'daemon'] as const) {
    const want = f[kind];
    if (want && want.length && (e.Type !== kind || !want.some((v) => e.Actor.ID === v || name === v))) return false;
  }
  return labelsMatch(f.label, e.Actor.Attributes);
}
