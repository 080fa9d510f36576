/**
 * The engine's event log: every job that changes state publishes one Docker-style event
 * (`docker events` format). Keeps the most recent events in memory for `since`, and fans out
 * to live subscribers. Publishing never blocks: a slow subscriber buffers in its own stream.
 */
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

const KEEP = 1024;
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
    if (f[kind] && f[kind]!.length && (e.Type !== kind || !f[kind]!.some((v) => e.Actor.ID === v || name === v))) return false;
  }
  if (f.label && f.label.length) {
    for (const l of f.label) {
      const [k, v] = l.split('=', 2) as [string, string | undefined];
      if (!(k in e.Actor.Attributes)) return false;
      if (v !== undefined && e.Actor.Attributes[k] !== v) return false;
    }
  }
  return true;
}

export class EventBus {
  private readonly recent: EngineEvent[] = [];
  private readonly subscribers = new Set<(e: EngineEvent) => void>();

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    // Older API versions read these fields for containers and images.
    if (type === 'container' || type === 'image') {
      e.status = action;
      e.id = id;
      if (type === 'container' && attributes.image) e.from = attributes.image;
    }
    this.recent.push(e);
    if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
    for (const s of this.subscribers) s(e);
    return e;
  }

  /** Past events in [since, until] matching the filters. */
  history(q: EventQuery): EngineEvent[] {
    if (q.since === undefined) return [];
    return this.recent.filter((e) => inRange(e, q) && matchesEvent(e, q.filters));
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

function inRange(e: EngineEvent, q: EventQuery): boolean {
  const t = e.timeNano / 1e9;
  if (q.since !== undefined && t < q.since) return false;
  if (q.until !== undefined && t > q.until) return false;
  return true;
}

/** Docker's `since`/`until` values: unix seconds (with optional fraction) or RFC 3339. */
export function parseEventTime(v: string | null, now = Date.now()): number | undefined {
  if (v === null || v === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (!Number.isNaN(t)) return t / 1000;
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (m) {
    const mult = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2] as 'ns'];
    return now / 1000 - Number(m[1]) * mult;
  }
  throw new Error(`failed to parse value ${v} as time`);
}
