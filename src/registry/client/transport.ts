/**
 * HTTP for the distribution client on node:http/https: keep-alive agents, optional TLS
 * verification skip (insecure registries), redirects for GET/HEAD (Authorization dropped when
 * the host changes, as for blob CDNs), streamed request and response bodies. Connection
 * failures become RegistryUnreachableError with docker's `Get "url": …` wording.
 * With a ProxyResolver (createHttpRequester), http URLs go to the proxy as absolute-URI
 * requests and https ones through a CONNECT tunnel (TLS to the registry inside it), each
 * hop of a redirect choosing again (NO_PROXY may differ for a blob CDN).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import * as tls from 'node:tls';
import { RegistryUnreachableError } from './errors.ts';
import type { ProxyResolver } from './proxy.ts';

export interface HttpRequestSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** A Buffer (Content-Length set) or a stream (chunked unless Content-Length given). */
  body?: Buffer | Readable;
  insecureTls?: boolean;
  /** Socket idle timeout (default 60 s). */
  timeoutMs?: number;
  maxRedirects?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The final URL after redirects. */
  url: string;
  body: http.IncomingMessage;
  /** Reads the whole body (bounded). */
  buffer(max?: number): Promise<Buffer>;
  /** Discards the body. */
  drain(): void;
}

export type HttpRequester = (spec: HttpRequestSpec) => Promise<HttpResponse>;

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
const httpsInsecureAgent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });

function goMethod(m: string): string {
  return m[0] + m.slice(1).toLowerCase();
}

/** Basic `Proxy-Authorization` from a proxy URL's user info. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  return 'Basic ' + Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64');
}

function proxyPort(proxy: URL): number {
  return Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80));
}

/**
 * An https.Agent whose connections are CONNECT tunnels through one proxy: it connects to the
 * proxy (TLS when the proxy URL is https), asks `CONNECT host:port`, and on a 200 starts TLS
 * to the registry over that socket. A refused CONNECT fails with the proxy's status text, as
 * Go's transport does.
 */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: URL, opts: https.AgentOptions) {
    super(opts);
  }

  override createConnection(args: http.ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void): undefined {
    const options = args as tls.ConnectionOptions & { host?: string; port?: number | string; servername?: string };
    const proxy = this.proxy;
    const host = String(options.host ?? 'localhost').replace(/^\[|\]$/g, '');
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${options.port ?? 443}`;
    let done = false;
    const finish = (err: Error | null, sock?: net.Socket) => {
      if (done) return;
      done = true;
      cb?.(err, sock as Duplex);
    };
    const connectOpts = { host: proxy.hostname.replace(/^\[|\]$/g, ''), port: proxyPort(proxy) };
    const raw: net.Socket = proxy.protocol === 'https:'
      ? tls.connect({ ...connectOpts, servername: net.isIP(connectOpts.host) ? undefined : connectOpts.host })
      : net.connect(connectOpts);
    const onError = (err: Error) => {
      raw.destroy();
      finish(Object.assign(new Error(`proxyconnect tcp: ${err.message}`), { code: (err as NodeJS.ErrnoException).code }));
    };
    raw.once('error', onError);
    // A proxy that never answers the CONNECT fails like one that cannot be reached.
    raw.setTimeout(Number(args.timeout) || 30_000, () => onError(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    raw.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      const auth = proxyAuthorization(proxy);
      raw.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 64 << 10) onError(new Error('proxy response header too long'));
        return;
      }
      raw.removeListener('data', onData);
      raw.removeListener('error', onError);
      raw.setTimeout(0);
      raw.pause();
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!m || m[1] !== '200') {
        raw.destroy();
        finish(new Error(m ? (m[2] || 'unknown status code') : `malformed proxy response: ${JSON.stringify(statusLine.slice(0, 100))}`));
        return;
      }
      const rest = head.subarray(end + 4);
      if (rest.length) raw.unshift(rest);
      const servername = options.servername || (net.isIP(host) ? undefined : host);
      const secure = tls.connect({ ...options, socket: raw, host, servername } as tls.ConnectionOptions);
      finish(null, secure);
    };
    raw.on('data', onData);
    return undefined;
  }
}

const tunnelAgents = new Map<string, TunnelAgent>();

function tunnelAgent(proxy: URL, insecureTls: boolean): TunnelAgent {
  const key = `${proxy.href} ${insecureTls}`;
  let a = tunnelAgents.get(key);
  if (!a) {
    a = new TunnelAgent(proxy, { keepAlive: true, maxSockets: 16, ...(insecureTls ? { rejectUnauthorized: false } : {}) });
    tunnelAgents.set(key, a);
  }
  return a;
}

/** An HttpRequester that sends requests through the proxies `proxy` picks (none: direct). */
export function createHttpRequester(proxy?: ProxyResolver): HttpRequester {
  return (spec) => request(spec, proxy);
}

export const httpRequest: HttpRequester = (spec) => request(spec, undefined);

async function request(spec: HttpRequestSpec, proxy: ProxyResolver | undefined): Promise<HttpResponse> {
  let url = spec.url;
  let method = spec.method ?? 'GET';
  let headers = { 'User-Agent': 'wharf/0.1 (distribution client)', ...spec.headers };
  for (let hop = 0; ; hop++) {
    const res = await once(url, method, headers, spec, proxy?.proxyFor(url));
    const loc = res.headers.location;
    if (res.statusCode && [301, 302, 303, 307, 308].includes(res.statusCode) && loc && (method === 'GET' || method === 'HEAD') && hop < (spec.maxRedirects ?? 5)) {
      res.resume();
      const next = new URL(loc, url);
      if (next.host !== new URL(url).host) {
        const { Authorization: _drop, ...rest } = headers as Record<string, string>;
        headers = rest as typeof headers;
      }
      url = next.toString();
      continue;
    }
    return wrap(res, url);
  }
}

function once(url: string, method: string, headers: Record<string, string>, spec: HttpRequestSpec, proxy?: URL): Promise<http.IncomingMessage> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  let mod: typeof http | typeof https = isHttps ? https : http;
  let agent: http.Agent = isHttps ? (spec.insecureTls ? httpsInsecureAgent : httpsAgent) : httpAgent;
  const h: Record<string, string> = { ...headers };
  let target: URL | http.RequestOptions = u;
  if (proxy && isHttps) {
    agent = tunnelAgent(proxy, !!spec.insecureTls);
  } else if (proxy) {
    // Plain HTTP through a proxy: the absolute URI goes to the proxy, which connects.
    mod = proxy.protocol === 'https:' ? https : http;
    agent = proxy.protocol === 'https:' ? httpsAgent : httpAgent;
    const auth = proxyAuthorization(proxy);
    if (auth) h['Proxy-Authorization'] = auth;
    h.Host = u.host;
    target = { protocol: proxy.protocol, hostname: proxy.hostname.replace(/^\[|\]$/g, ''), port: proxyPort(proxy), path: u.href };
  }
  if (Buffer.isBuffer(spec.body)) h['Content-Length'] = String(spec.body.length);
  else if (!spec.body && (method === 'PUT' || method === 'POST' || method === 'PATCH')) h['Content-Length'] = '0';
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      const viaPlainProxy = proxy && !isHttps && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes((err as NodeJS.ErrnoException).code ?? '') && !err.message.startsWith('proxyconnect');
      const detail = viaPlainProxy ? `proxyconnect tcp: ${err.message}` : err.message;
      reject(new RegistryUnreachableError(`${goMethod(method)} "${url}": ${detail}`, { cause: err }));
    };
    const req = target instanceof URL
      ? mod.request(target, { method, headers: h, agent, timeout: spec.timeoutMs ?? 60_000 }, resolve)
      : mod.request({ ...target, method, headers: h, agent, timeout: spec.timeoutMs ?? 60_000 }, resolve);
    req.on('timeout', () => req.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', fail);
    const body = spec.body;
    if (!body) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

function wrap(res: http.IncomingMessage, url: string): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    url,
    body: res,
    async buffer(max = 16 << 20) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > max) {
          res.destroy();
          throw new Error(`response from ${url} is larger than ${max} bytes`);
        }
        chunks.push(c);
      }
      return Buffer.concat(chunks);
    },
    drain() {
      res.resume();
    },
  };
}

/** Reads `{"errors":[…]}` from an error response, if it is one. */
export async function readRegistryErrors(res: HttpResponse): Promise<{ code: string; message: string; detail?: unknown }[]> {
  if (res.body.readableEnded) return [];
  try {
    const doc = JSON.parse((await res.buffer(1 << 20)).toString('utf8'));
    return Array.isArray(doc?.errors) ? doc.errors : [];
  } catch {
    return [];
  }
}

