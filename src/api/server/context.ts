/**
 * What a route handler sees: the parsed request and the ways to answer it.
 *
 * Lifecycle: the server builds one context per request, calls the handler, and if the handler
 * throws before it answered, maps the error to Docker's `{"message": …}` body. A handler
 * answers exactly once: `json()`, `noContent()`, `stream()` or `hijack()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

export interface HijackedStream {
  /** Bytes from the client (stdin for attach/exec). Ends on client half-close. */
  readonly input: Readable;
  write(chunk: Buffer | string): boolean;
  end(): void;
  /** Resolves once what was written has drained to the client (at once if nothing waits), or the client is gone. */
  drained(): Promise<void>;
  /** Resolves when the client went away or end() was called. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
}

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly method: string;
  /** Path without the `/v1.NN` prefix. */
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  /** Negotiated API version ("1.47" when the client sent no prefix). */
  readonly apiVersion: string;
  readonly requestId: string;
  /** The raw body, bounded by the server's body cap. */
  body(): Promise<Buffer>;
  /** The body parsed as JSON; an empty body gives `undefined`. Malformed JSON is a 400. */
  jsonBody<T = unknown>(): Promise<T | undefined>;
  json(status: number, value: unknown, headers?: Record<string, string>): void;
  noContent(status?: number): void;
  text(status: number, body: string, headers?: Record<string, string>): void;
  /** Starts a streamed 200 answer (chunked); returns the response to write to. */
  stream(contentType: string, status?: number, headers?: Record<string, string>): ServerResponse;
  /** Takes over the connection for attach/exec (101 UPGRADED when the client asked for it). */
  hijack(contentType?: string): HijackedStream;
  /** Whether the client asked for a connection upgrade (`Upgrade: tcp`). */
  readonly wantsUpgrade: boolean;
  readonly answered: boolean;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: Handler;
}

/** Query helpers with Docker's parsing rules ("1"/"true" are true). */
export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  return !(v === '0' || v.toLowerCase() === 'false' || v.toLowerCase() === 'no');
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

export type { Duplex };
