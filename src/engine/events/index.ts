/**
 * The engine's event log: every job that changes state publishes one Docker-style event
 * (`docker events` format). Keeps the most recent events in memory for `since`, and fans out
 * to live subscribers. Publishing never blocks: each subscriber writes to its own stream.
 */
import { matchesEvent, type EngineEvent, type EventQuery, type EventType } from '../../api/types/events.ts';
import { nowNs } from '../../common/time-ns.ts';

export type { EngineEvent, EventQuery, EventType };

const KEEP = 1024;

export class EventBus {
  private readonly recent: EngineEvent[] = [];
  private readonly subscribers = new Set<(e: EngineEvent) => void>();

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const ns = nowNs();
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: Number(ns),
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

  /** Past events in [since, until] matching the filters (none without `since`). */
  history(q: EventQuery): EngineEvent[] {
    if (q.since === undefined) return [];
    return this.recent.filter((e) => {
      const t = e.timeNano / 1e9;
      if (t < q.since!) return false;
      if (q.until !== undefined && t > q.until) return false;
      return matchesEvent(e, q.filters);
    });
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}
