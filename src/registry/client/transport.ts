/**
 * HTTP for the distribution client on node:http/https: keep-alive agents, optional TLS
 * verification skip (insecure registries), redirects for GET/HEAD (Authorization dropped when
 * the host changes, as for blob CDNs), streamed request and response bodies. Connection
 * failures become RegistryUnreachableError with docker's `Get "url": …` wording.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { RegistryUnreachableError } from './errors.ts';

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

export const httpRequest: HttpRequester = async (spec) => {
  let url = spec.url;
  let method = spec.method ?? 'GET';
  let headers = { 'User-Agent': 'wharf/0.1 (distribution client)', ...spec.headers };
  for (let hop = 0; ; hop++) {
    const res = await once(url, method, headers, spec);
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
};

function once(url: string, method: string, headers: Record<string, string>, spec: HttpRequestSpec): Promise<http.IncomingMessage> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  const mod = isHttps ? https : http;
  const agent = isHttps ? (spec.insecureTls ? httpsInsecureAgent : httpsAgent) : httpAgent;
  const h: Record<string, string> = { ...headers };
  if (Buffer.isBuffer(spec.body)) h['Content-Length'] = String(spec.body.length);
  else if (!spec.body && (method === 'PUT' || method === 'POST' || method === 'PATCH')) h['Content-Length'] = '0';
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      const detail = (err as NodeJS.ErrnoException).code ? `${err.message}` : err.message;
      reject(new RegistryUnreachableError(`${goMethod(method)} "${url}": ${detail}`, { cause: err }));
    };
    const req = mod.request(u, { method, headers: h, agent, timeout: spec.timeoutMs ?? 60_000 }, resolve);
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

