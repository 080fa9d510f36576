/** What the system routes need from the engine. */
import type { EngineEvent, EventQuery } from '../../types/events.ts';

export interface SystemBackend {
  version(): Record<string, unknown>;
  info(): Promise<Record<string, unknown>>;
  /** Validates filters (throws InvalidArgument) and returns the past events. */
  eventsHistory(q: EventQuery): EngineEvent[];
  subscribeEvents(fn: (e: EngineEvent) => void): () => void;
  /** `GET /system/df`; `types` are the `type` query values (API 1.42+), validated by the engine; `images`: fields of older API versions. */
  diskUsage?(opts: { types?: string[]; images?: { nonePlaceholders: boolean; withVirtualSize: boolean } }): Promise<Record<string, unknown>>;
}
