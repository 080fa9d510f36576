/** What the network routes need from the engine (the networks service satisfies it). */

export interface NetworksBackend {
  /** Filter keys are checked by the router; values by the engine. */
  list(filters: Record<string, string[]>): unknown[];
  inspect(ref: string): unknown;
  /** Names repeat unless CheckDuplicate or `unique`. */
  create(body: Record<string, unknown>, opts: { unique: boolean }): Promise<{ Id: string; Warning: string }>;
  remove(ref: string): Promise<void>;
  prune(filters: Record<string, string[]>): Promise<{ NetworksDeleted: string[] | null }>;
  connect(ref: string, container: string, settings?: Record<string, unknown>): Promise<void>;
  disconnect(ref: string, container: string, force?: boolean): Promise<void>;
}

/** `docker network ls` filter keys. */
export const NETWORK_LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;
export const NETWORK_PRUNE_FILTERS = ['until', 'label', 'label!'] as const;
