/**
 * The Engine API HTTP server: one `node:http` server shared by every listener, a route table
 * (find-my-way) matched on the path without its `/v1.NN` prefix, and one place where thrown
 * errors become Docker's `{"message": …}` answers. Attach/exec arrive as HTTP upgrades and
 * are dispatched through the same table.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import createRouter from 'find-my-way';
import { InvalidArgumentError, PayloadTooLargeError, WharfError, messageOf, statusOf } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { HijackedStream, Route, RouteContext } from './context.ts';
import { drained } from './drained.ts';
import { API_VERSION, MIN_API_VERSION, compareVersions, splitVersion } from '../types/version.ts';

/** Go's MaxHeaderBytes default: 1 MiB; beyond it Node answers 431. */
export const MAX_HEADER_BYTES = 1 << 20;
/** JSON bodies above this are refused with 413; streamed bodies (build, load) are not capped. */
export const MAX_JSON_BODY = 64 << 20;

export interface ApiServerOptions {
  routes: Route[];
  logger: Logger;
  /** Called before each response to add headers such as `Server` (all responses). */
  serverHeader?: string;
  experimental?: boolean;
}

type Find = (method: string, path: string) => { handler: Route['handler']; params: Record<string, string | undefined> } | null;

function buildFinder(routes: Route[]): Find {
  const router = createRouter({ ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 10000 });
  for (const r of routes) router.on(r.method, r.path, () => {}, { handler: r.handler });
  return (method, path) => {
    const found = router.find(method as 'GET', path);
    if (!found) return null;
    const store = found.store as { handler: Route['handler'] };
    return { handler: store.handler, params: found.params };
  };
}

export function createApiServer(opts: ApiServerOptions): http.Server {
  const find = buildFinder(opts.routes);
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 });
  const commonHeaders: Record<string, string> = {
    'Api-Version': API_VERSION,
    'Docker-Experimental': String(!!opts.experimental),
    'Ostype': 'linux',
    'Server': opts.serverHeader ?? 'Wharf (linux)',
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    dispatch(req, res, undefined, undefined).catch((err) => lastResort(err, req, req.socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Node leaves an upgraded socket without an 'error' listener: a client that hangs up while
    // we answer (EPIPE) would otherwise throw out of the event loop and end the daemon.
    socket.on('error', (err) => opts.logger.debug(`upgraded connection: ${messageOf(err)}`));
    dispatch(req, undefined, socket, head).catch((err) => lastResort(err, req, socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n431 Request Header Fields Too Large');
    } else {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n400 Bad Request');
    }
  });

  /** An error that escaped the handler's own answer (writing that answer failed): never the daemon's end. */
  function lastResort(err: unknown, req: IncomingMessage, socket: Socket): void {
    opts.logger.error(`Request ${req.method} ${req.url} failed: ${messageOf(err)}`, { stack: err instanceof Error ? err.stack : undefined });
    if (!socket.destroyed) socket.destroy();
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse | undefined, socket: Socket | undefined, head: Buffer | undefined): Promise<void> {
    // A request target Node's parser let through can still be no URL (`GET http://[::1`):
    // answer 400 below rather than throw out of the request event (that ends the daemon).
    let badUrl: string | undefined;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://wharf');
    } catch {
      badUrl = `invalid request URI: ${JSON.stringify((req.url ?? '').slice(0, 200))}`;
      url = new URL('/', 'http://wharf');
    }
    const rawPath = url.pathname;
    const { version, rest } = splitVersion(rawPath);
    const requestId = randomBytes(4).toString('hex');
    opts.logger.debug(`Calling ${req.method} ${req.url}`, { request: requestId, upgrade: socket !== undefined });
    // An upgraded request's body (exec start JSON) arrives on the raw socket: split it from
    // what follows, which belongs to the hijacked stream.
    let upgradeBody: Buffer | undefined;
    if (socket) ({ body: upgradeBody, rest: head } = await readUpgradeBody(req, socket, head ?? Buffer.alloc(0)));
    const ctx = makeContext(req, res, socket, head, rest, url.searchParams, version ?? API_VERSION, requestId, commonHeaders, upgradeBody);
    try {
      if (badUrl) throw new InvalidArgumentError(badUrl);
      if (version !== undefined) {
        if (compareVersions(version, API_VERSION) > 0) {
          throw new InvalidArgumentError(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
        }
        if (compareVersions(version, MIN_API_VERSION) < 0) {
          throw new InvalidArgumentError(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
        }
      }
      const decoded = decodePath(rest);
      if (/(^|\/)\.\.?(\/|$)/.test(decoded)) {
        // Go's ServeMux cleans such paths with a redirect; do the same rather than route them.
        const cleaned = new URL(decoded, 'http://wharf').pathname;
        ctx.text(301, '', { Location: (version ? `/v${version}` : '') + cleaned + url.search });
        return;
      }
      const method = req.method === 'HEAD' && !find('HEAD', rest) ? 'GET' : (req.method ?? 'GET');
      const found = find(method, rest);
      if (!found) {
        ctx.json(404, { message: 'page not found' });
        return;
      }
      for (const [k, v] of Object.entries(found.params)) if (v !== undefined) (ctx.params as Record<string, string>)[k] = v;
      await found.handler(ctx);
      if (!ctx.answered) ctx.noContent(204);
    } catch (thrown) {
      const err = clientFault(thrown);
      const status = statusOf(err);
      if (status >= 500) opts.logger.error(`Handler for ${req.method} ${rawPath} returned error: ${messageOf(err)}`, { request: requestId, stack: err instanceof Error && !(err instanceof WharfError) ? err.stack : undefined });
      else opts.logger.debug(`Handler for ${req.method} ${rawPath} returned error: ${messageOf(err)}`, { request: requestId });
      if (!ctx.answered) {
        if (status === 304) ctx.noContent(304);
        else ctx.json(status, { message: messageOf(err) });
      } else {
        ctx.abort(err);
      }
    }
  }
  return server;
}

/**
 * Errors Node raises on values only a client can have put there (a NUL byte in a path handed to
 * fs, a path too long for the kernel): a 400, wherever in a handler they surface.
 */
function clientFault(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE' && /null bytes/.test(e.message)) {
    return new InvalidArgumentError(`invalid argument: a value contains a NUL byte`, { cause: err });
  }
  // Only a name from the request can outgrow PATH_MAX/NAME_MAX under our own roots.
  if (e instanceof Error && e.code === 'ENAMETOOLONG') return new InvalidArgumentError('invalid argument: file name too long', { cause: err });
  return err;
}

/** The path with its %-escapes decoded; a malformed escape is the client's mistake (Go: 400). */
function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new InvalidArgumentError(`invalid URL escape in path ${JSON.stringify(p.slice(0, 200))}`);
  }
}

interface InternalContext extends RouteContext {
  abort(err: unknown): void;
}

function makeContext(
  req: IncomingMessage,
  res: ServerResponse | undefined,
  socket: Socket | undefined,
  head: Buffer | undefined,
  path: string,
  query: URLSearchParams,
  apiVersion: string,
  requestId: string,
  common: Record<string, string>,
  upgradeBody?: Buffer,
): InternalContext {
  let answered = false;
  let bodyPromise: Promise<Buffer> | undefined;
  const abortController = new AbortController();
  const rawSocket = socket ?? req.socket;
  const onGone = () => abortController.abort();
  rawSocket.once('close', onGone);
  // A keep-alive connection serves many requests: each one's listener goes with its answer
  // (kept, every request on a busy connection added one and its context stayed reachable).
  res?.once('close', () => {
    rawSocket.removeListener('close', onGone);
    if (!res.writableFinished) onGone();
  });

  function writeRaw(status: number, headers: Record<string, string>, body: Buffer | string): void {
    if (res) {
      // A length, not chunked: clients read a non-chunked answer to a streaming endpoint as an error (docker-py).
      const length: Record<string, number> = status === 204 || status === 304 ? {} : { 'Content-Length': Buffer.byteLength(body) };
      res.writeHead(status, { ...common, ...headers, ...length });
      res.end(body);
    } else if (socket) {
      const text = http.STATUS_CODES[status] ?? 'Unknown';
      const all: Record<string, string | number> = { ...common, ...headers, 'Content-Length': Buffer.byteLength(body), Connection: 'close' };
      let out = `HTTP/1.1 ${status} ${text}\r\n`;
      for (const [k, v] of Object.entries(all)) out += `${k}: ${v}\r\n`;
      socket.end(out + '\r\n' + body.toString());
    }
  }

  const ctx: InternalContext = {
    req,
    method: req.method ?? 'GET',
    path,
    params: {},
    query,
    apiVersion,
    requestId,
    get answered() { return answered; },
    get wantsUpgrade() { return socket !== undefined; },
    signal: abortController.signal,
    body() {
      if (upgradeBody) return Promise.resolve(upgradeBody);
      bodyPromise ??= new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_JSON_BODY) { reject(new PayloadTooLargeError(`request body larger than ${MAX_JSON_BODY} bytes`)); req.destroy(); return; }
          chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks)));
        // The client hung up or broke the framing half way: its request, not a daemon fault.
        req.on('error', (err) => reject(new InvalidArgumentError(`reading the request body: ${messageOf(err)}`)));
      });
      return bodyPromise;
    },
    async jsonBody<T>() {
      const buf = await ctx.body();
      const ct = req.headers['content-type'];
      if (buf.length === 0) return undefined;
      if (ct && !/^application\/json\b/i.test(ct.split(';')[0]!.trim())) {
        throw new InvalidArgumentError(`Content-Type specified (${ct}) must be 'application/json'`);
      }
      try {
        return JSON.parse(buf.toString('utf8')) as T;
      } catch (err) {
        // V8 quotes a piece of the body ("…"password":hunter2…" is not valid JSON): that piece may
        // be a secret (POST /auth) and the message is logged, so it is cut.
        throw new InvalidArgumentError(`invalid JSON: ${messageOf(err).replace(/^(Unexpected token .*?), .* is not valid JSON$/s, '$1 in JSON')}`);
      }
    },
    json(status, value, headers) {
      answered = true;
      const body = JSON.stringify(value) + '\n';
      writeRaw(status, { 'Content-Type': 'application/json', ...headers }, body);
    },
    noContent(status = 204) {
      answered = true;
      writeRaw(status, {}, '');
    },
    text(status, body, headers) {
      answered = true;
      writeRaw(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body);
    },
    stream(contentType, status = 200, headers) {
      if (!res) throw new InvalidArgumentError('this endpoint does not support connection upgrade');
      answered = true;
      res.writeHead(status, { ...common, 'Content-Type': contentType, ...headers });
      res.flushHeaders();
      return res;
    },
    hijack(contentType = 'application/vnd.docker.raw-stream') {
      answered = true;
      if (socket) {
        let out = 'HTTP/1.1 101 UPGRADED\r\n';
        const headers: Record<string, string> = { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp', ...common };
        for (const [k, v] of Object.entries(headers)) out += `${k}: ${v}\r\n`;
        socket.write(out + '\r\n');
        socket.setNoDelay(true);
        const input = new PassThrough();
        if (head && head.length) input.write(head);
        socket.pipe(input);
        return socketStream(socket, input);
      }
      // Plain request: answer 200 with a raw stream body and keep reading the request body.
      const r = res!;
      r.writeHead(200, { ...common, 'Content-Type': contentType });
      r.flushHeaders();
      r.socket?.setNoDelay(true);
      return responseStream(r, req);
    },
    abort(err) {
      if (res && !res.writableEnded) {
        try { res.end(); } catch { /* the connection is gone already: nothing left to tell the client */ }
      }
      if (socket && !socket.destroyed) socket.destroy(err instanceof Error ? err : undefined);
    },
  };
  return ctx;
}

function socketStream(socket: Socket, input: PassThrough): HijackedStream {
  let closed = false;
  let resolveClosed!: () => void;
  const closedP = new Promise<void>((r) => (resolveClosed = r));
  const done = () => { if (!closed) { closed = true; resolveClosed(); } };
  socket.once('close', done);
  socket.once('error', done);
  return {
    input,
    write: (c) => (closed ? false : socket.write(c)),
    end: () => { if (!closed) socket.end(); done(); },
    drained: () => drained(socket, () => closed),
    closed: closedP,
    get isClosed() { return closed; },
  };
}

function responseStream(res: ServerResponse, req: IncomingMessage): HijackedStream {
  let closed = false;
  let resolveClosed!: () => void;
  const closedP = new Promise<void>((r) => (resolveClosed = r));
  const done = () => { if (!closed) { closed = true; resolveClosed(); } };
  res.once('close', done);
  return {
    input: req,
    write: (c) => (closed ? false : res.write(c)),
    end: () => { if (!closed) res.end(); done(); },
    drained: () => drained(res, () => closed),
    closed: closedP,
    get isClosed() { return closed; },
  };
}

/** Reads Content-Length bytes of an upgraded request's body from `head` and the socket. */
function readUpgradeBody(req: IncomingMessage, socket: Socket, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  const len = Math.min(Number(req.headers['content-length'] ?? 0) || 0, MAX_JSON_BODY);
  if (head.length >= len) return Promise.resolve({ body: head.subarray(0, len), rest: head.subarray(len) });
  return new Promise((resolve) => {
    let buf = head;
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= len) finish();
    };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.off('data', onData);
      socket.off('close', finish);
      socket.off('end', finish);
      socket.pause();
      resolve({ body: buf.subarray(0, len), rest: buf.subarray(len) });
    };
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('close', finish);
  });
}
