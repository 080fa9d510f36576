/**
 * The Engine API client the CLI uses: plain HTTP/1.1 over unix sockets, TCP or TCP+TLS,
 * with JSON helpers, streaming answers and hijacked (upgraded) connections for attach/exec.
 */
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import type { ContainerCreateRequest, ContainerCreateResponse } from '../api/types/container.ts';
import { onlyJsonSyntax } from '../common/cleanups.ts';

export const DEFAULT_HOST = 'unix:///run/wharf/wharf.sock';

export interface TlsOptions { ca?: string; cert?: string; key?: string; verify: boolean }

export interface ClientOptions {
  host: string;
  tls?: TlsOptions;
  /** Version prefix to send, e.g. "1.47". */
  apiVersion?: string;
}

/** The daemon answered with an error status; `message` is its `{"message": …}`. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The daemon could not be reached. */
export class ConnectError extends Error {
  constructor(readonly host: string, cause: unknown) {
    super(`Cannot connect to the wharf daemon at ${host}. Is the daemon running?`, { cause });
  }
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined | string[]>;
  body?: unknown;
  /** A raw body stream (tar uploads); sent chunked with `contentType`. */
  stream?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
}

export class Client {
  private readonly agentOpts: http.RequestOptions;
  private readonly secure: boolean;
  readonly host: string;

  constructor(private readonly opts: ClientOptions) {
    this.host = opts.host;
    const m = /^(unix|tcp|https?|fd):\/\/(.*)$/.exec(opts.host);
    if (!m) throw new Error(`Invalid bind address format: ${opts.host}`);
    const [, proto, rest] = m as unknown as [string, string, string];
    this.secure = !!opts.tls || proto === 'https';
    if (proto === 'unix') this.agentOpts = { socketPath: rest };
    else {
      const hm = /^\[?([^\]]*?)\]?(?::(\d+))?(\/.*)?$/.exec(rest)!;
      this.agentOpts = { hostname: hm[1] || '127.0.0.1', port: Number(hm[2] ?? (this.secure ? 2376 : 2375)) };
    }
    if (this.secure && opts.tls) {
      const t = opts.tls;
      Object.assign(this.agentOpts, {
        ca: t.ca ? fs.readFileSync(t.ca) : undefined,
        cert: t.cert && fs.existsSync(t.cert) ? fs.readFileSync(t.cert) : undefined,
        key: t.key && fs.existsSync(t.key) ? fs.readFileSync(t.key) : undefined,
        rejectUnauthorized: t.verify,
      });
    }
  }

  private pathFor(p: string, query?: RequestOptions['query']): string {
    const prefix = this.opts.apiVersion ? `/v${this.opts.apiVersion}` : '';
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === false) continue;
      if (Array.isArray(v)) for (const x of v) qs.append(k, x);
      else qs.set(k, v === true ? '1' : String(v));
    }
    const s = qs.toString();
    return prefix + p + (s ? `?${s}` : '');
  }

  /** Sends a request and returns the raw response (status not checked). */
  raw(p: string, o: RequestOptions = {}, upgrade = false): Promise<{ res: IncomingMessage; socket?: Duplex; head?: Buffer }> {
    const headers: Record<string, string> = { ...o.headers };
    let payload: Buffer | undefined;
    if (o.body !== undefined) {
      payload = Buffer.from(JSON.stringify(o.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (o.stream) {
      headers['Content-Type'] = o.contentType ?? 'application/x-tar';
      headers['Transfer-Encoding'] = 'chunked';
    }
    if (upgrade) { headers.Connection = 'Upgrade'; headers.Upgrade = 'tcp'; }
    // http loads on first request (so the CLI can start from a V8 snapshot, which cannot hold it),
    // and https (tls, crypto) only for TLS daemons: they cost a plain `wharf version` ~5 ms.
    // servername '' stops the agent from testing the Host name with net.isIP, whose IPv6
    // pattern alone takes ~5 ms to compile on first use; plain sockets need no SNI name.
    const secure = this.secure;
    const send = (mod: typeof http | typeof https) => new Promise<{ res: IncomingMessage; socket?: Duplex; head?: Buffer }>((resolve, reject) => {
      const req = mod.request({ ...this.agentOpts, method: o.method ?? 'GET', path: this.pathFor(p, o.query), headers, host: 'wharf', ...(secure ? {} : { servername: '' }) } as https.RequestOptions);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH'].includes(err.code ?? '')) reject(new ConnectError(this.host, err));
        else reject(err);
      });
      req.on('response', (res) => resolve({ res }));
      req.on('upgrade', (res, socket, head) => resolve({ res, socket, head }));
      if (payload) req.end(payload);
      else if (o.stream) { o.stream.on('error', (e) => req.destroy(e)); o.stream.pipe(req); }
      else req.end();
    });
    if (!secure) return import('node:http').then((m) => send(m.default));
    return Promise.all([import('node:https'), import('node:tls')]).then(([m, tls]) => {
      // bin/wharf keeps NODE_EXTRA_CA_CERTS away from Node's start-up; without --tlscacert the
      // daemon's certificate is checked against the system roots plus that file, as Node would.
      const extra = process.env.NODE_EXTRA_CA_CERTS;
      if ((this.agentOpts as https.RequestOptions).ca === undefined && extra && fs.existsSync(extra)) (this.agentOpts as https.RequestOptions).ca = [...tls.rootCertificates, fs.readFileSync(extra, 'utf8')];
      return send(m.default);
    });
  }

  /** Request → parsed JSON (or undefined for empty bodies); error statuses throw ApiError. */
  async json<T = unknown>(p: string, o: RequestOptions = {}): Promise<T> {
    const { res } = await this.raw(p, o);
    const text = await readAll(res);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, text);
    if (!text.length) return undefined as T;
    return JSON.parse(text.toString('utf8')) as T;
  }

  /** `POST /containers/create` with the typed body (api/types/container.ts). */
  containerCreate(body: ContainerCreateRequest, query: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.json<ContainerCreateResponse>('/containers/create', { method: 'POST', query, body });
  }

  /** Request whose answer is streamed (logs, events, pull progress). Error statuses throw. */
  async stream(p: string, o: RequestOptions = {}): Promise<IncomingMessage> {
    const { res } = await this.raw(p, o);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, await readAll(res));
    return res;
  }

  /** Hijacks the connection (attach / exec start). Returns the duplex byte stream. */
  async hijack(p: string, o: RequestOptions = {}): Promise<{ socket: Duplex; head: Buffer; tty?: boolean }> {
    const { res, socket, head } = await this.raw(p, o, true);
    if (socket) return { socket, head: head ?? Buffer.alloc(0) };
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, await readAll(res));
    // Server did not upgrade (plain 200 stream): read-only.
    return { socket: res.socket as Duplex, head: Buffer.alloc(0) };
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function toApiError(status: number, body: Buffer): ApiError {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { message?: string };
    if (j && typeof j.message === 'string') return new ApiError(status, j.message);
  } catch (err) { onlyJsonSyntax(err); /* not JSON */ }
  return new ApiError(status, text.trim() || `status ${status}`);
}

export interface ConnectionFlags {
  host?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  /** The client config directory (`--config`, DOCKER_CONFIG, ~/.docker): docker's default certificate path. */
  configDir?: string;
}

/** `-H`, then WHARF_HOST, then DOCKER_HOST, then the default socket; TLS from flags or env. */
export function resolveConnection(f: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ClientOptions {
  const host = f.host ?? env.WHARF_HOST ?? env.DOCKER_HOST ?? DEFAULT_HOST;
  const envVerify = (env.WHARF_TLS_VERIFY ?? env.DOCKER_TLS_VERIFY ?? '') !== '';
  const verify = !!f.tlsverify || envVerify;
  const certPath = env.WHARF_CERT_PATH || env.DOCKER_CERT_PATH || f.configDir || path.join(env.HOME ?? '/root', '.docker');
  const useTls = verify || !!f.tls;
  const tls: TlsOptions | undefined = useTls ? {
    verify,
    ca: f.tlscacert ?? (fs.existsSync(path.join(certPath, 'ca.pem')) ? path.join(certPath, 'ca.pem') : undefined),
    cert: f.tlscert ?? path.join(certPath, 'cert.pem'),
    key: f.tlskey ?? path.join(certPath, 'key.pem'),
  } : undefined;
  return { host: useTls ? host.replace(/^tcp:/, 'https:') : host, tls, apiVersion: '1.47' };
}
