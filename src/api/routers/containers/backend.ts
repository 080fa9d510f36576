/** What the containers routes need from the engine (the containers service implements it). */
import type { ClientStream, LogSink } from '../../types/output-sink.ts';
import type { ContainerCreateResponse } from '../../types/container.ts';
import type { UnixTime } from '../../types/docker-time.ts';

export interface AttachQuery { stdin: boolean; stdout: boolean; stderr: boolean; stream: boolean; logs: boolean; detachKeys?: string | null }
export interface LogsQuery { stdout: boolean; stderr: boolean; follow: boolean; tail?: string | null; since?: UnixTime; until?: UnixTime; timestamps: boolean; details: boolean }
export interface Writer { write(b: Buffer | string): boolean; writableEnded?: boolean }

export interface ContainersBackend {
  /** `body` is the client's JSON as sent: the engine checks it against the wire model (ContainerCreateRequest). */
  create(body: unknown, name: string | null): Promise<ContainerCreateResponse>;
  start(ref: string): Promise<void>;
  stop(ref: string, timeout?: number, signal?: string | null): Promise<void>;
  restart(ref: string, timeout?: number, signal?: string | null): Promise<void>;
  kill(ref: string, signal: string | null): Promise<void>;
  /** `link`: `ref` is a legacy link name (`parent/alias`) to remove, not a container; `legacyMessage`: refusals in the wording before API 1.44. */
  remove(ref: string, opts: { force?: boolean; volumes?: boolean; link?: boolean; legacyMessage?: boolean }): Promise<void>;
  wait(ref: string, condition: string | null): Promise<{ StatusCode: number; Error: null | { Message: string } }>;
  rename(ref: string, name: string): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  list(o: { all: boolean; limit?: number; size: boolean; filters: Record<string, string[]> }): Record<string, unknown>[];
  inspect(ref: string, size?: boolean): Record<string, unknown>;
  /** Output goes to `client` as (stream, bytes); the handler frames it. */
  attach(ref: string, client: ClientStream, o: AttachQuery): Promise<void>;
  logs(ref: string, q: LogsQuery, out: LogSink, signal: AbortSignal): Promise<void>;
  /** Throws docker's 501 when the container's log driver keeps nothing to read (none, journald). */
  checkLogsReadable(ref: string): void;
  /** Whether the container has a TTY (raw vs multiplexed streams). */
  record(ref: string): { Config: { Tty: boolean } };
  prune(filters: Record<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>;
  resize(ref: string, h: number, w: number): Promise<void>;
  top(ref: string, psArgs: string | null): Promise<{ Titles: string[]; Processes: string[][] }>;
}

/** Optional tools (stats, archive, changes, export, update, commit): routed when present. */
export interface ContainerToolsBackend {
  stats?(ref: string, stream: boolean, oneShot: boolean, out: Writer, signal: AbortSignal): Promise<void>;
  changes?(ref: string): Promise<{ Path: string; Kind: number }[]>;
  exportRootfs?(ref: string, out: NodeJS.WritableStream): Promise<void>;
  update?(ref: string, body: unknown): Promise<{ Warnings: string[] }>;
  archiveStat?(ref: string, path: string): Promise<Record<string, unknown>>;
  archiveGet?(ref: string, path: string, out: NodeJS.WritableStream): Promise<Record<string, unknown>>;
  archivePut?(ref: string, path: string, body: NodeJS.ReadableStream, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void>;
  commit?(ref: string, q: { repo?: string; tag?: string; author?: string; comment?: string; changes: string[]; pause: boolean }, config: unknown): Promise<{ Id: string }>;
}

export interface ExecBackend {
  create(ref: string, body: Record<string, unknown> | undefined): { Id: string };
  start(id: string, opts: { detach: boolean; consoleSize?: [number, number] }, client?: ClientStream): Promise<void>;
  inspect(id: string): Record<string, unknown>;
  resize(id: string, h: number, w: number): Promise<void>;
}
