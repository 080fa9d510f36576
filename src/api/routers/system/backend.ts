/** What the system routes need from the engine. */
import type { EngineEvent, EventQuery } from '../../types/events.ts';

export interface SystemBackend {
  version(): Record<string, unknown>;
  info(): Promise<Record<string, unknown>>;
  /** Validates filters (throws InvalidArgument) and returns the past events. */
  eventsHistory(q: EventQuery): EngineEvent[];
  subscribeEvents(fn: (e: EngineEvent) => void): () => void;
  diskUsage?(): Promise<Record<string, unknown>>;
}
