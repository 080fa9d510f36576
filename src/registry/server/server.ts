/**
 * The registry server: OCI distribution / Docker Registry HTTP API v2 on node:http, with
 * filesystem storage (storage.ts), optional htpasswd basic auth, catalog, tags and a v1
 * search endpoint answered from the catalog (docker's `/v1/search` result shape).
 *
 * Lifecycle: createRegistryServer() → listen() (creates the storage dirs) → close() (stops
 * accepting, ends idle keep-alive connections, waits for in-flight requests).
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../../common/logger.ts';
import { isIndexType, isImageManifestType, MediaType, parseManifest, selectPlatform } from '../client/manifest.ts';
import { handleBlob, handleUpload, handleUploadStart, type BlobRouteContext } from './blob-routes.ts';
import { RegistryHttpError, sendRegistryError } from './errors.ts';
import { Htpasswd } from './htpasswd.ts';
import { checkManifest } from './manifest-check.ts';
import { isDigest, isRepoName, isTag, RegistryStorage } from './storage.ts';

export interface RegistryServerOptions {
  /** Storage root directory. */
  root: string;
  /** htpasswd basic auth; without it every request is anonymous and allowed. */
  auth?: { htpasswd: string; realm: string };
  /** Answer /v1/search without credentials even when auth is on (docker sends none over plain HTTP). */
  publicSearch?: boolean;
  logger?: Logger;
  /** Largest manifest accepted (default 4 MiB, as distribution). */
  maxManifestBytes?: number;
}

export interface RegistryServer {
  readonly server: http.Server;
  readonly storage: RegistryStorage;
  listen(port: number, host?: string): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

const authCacheMs = 60_000;

export function createRegistryServer(opts: RegistryServerOptions): RegistryServer {
  const storage = new RegistryStorage(opts.root);
  const logger = opts.logger ?? silentLogger;
  const htpasswd = opts.auth ? new Htpasswd(opts.auth.htpasswd) : undefined;
  const realm = opts.auth?.realm ?? 'wharf-registry';
  const maxManifest = opts.maxManifestBytes ?? 4 << 20;
  const verified = new Map<string, number>(); // sha256(credentials) → expiry (bcrypt is slow)

  async function authenticate(req: http.IncomingMessage): Promise<boolean> {
    if (!htpasswd) return true;
    const h = req.headers.authorization;
    if (!h || !/^basic /i.test(h)) return false;
    const key = createHash('sha256').update(h).digest('hex');
    const exp = verified.get(key);
    if (exp && exp > Date.now()) return true;
    const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return false;
    const ok = await htpasswd.verify(decoded.slice(0, i), decoded.slice(i + 1));
    if (ok) verified.set(key, Date.now() + authCacheMs);
    return ok;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry');
    const p = url.pathname;
    const method = req.method ?? 'GET';
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');

    if (p === '/v1/_ping') return json(res, 200, { standalone: true }, { 'X-Docker-Registry-Standalone': 'true' });
    const authed = await authenticate(req);
    const deny = (): never => {
      throw new RegistryHttpError('UNAUTHORIZED');
    };
    if (p === '/v1/search') {
      if (!authed && !opts.publicSearch) deny();
      return search(res, url.searchParams);
    }
    if (!p.startsWith('/v2')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    if (!authed) deny();
    if (p === '/v2/' || p === '/v2') return json(res, 200, {});
    if (p === '/v2/_catalog') return catalog(res, url.searchParams);

    let m: RegExpExecArray | null;
    const route = (re: RegExp): boolean => {
      m = re.exec(p);
      if (!m) return false;
      if (!isRepoName(m[1])) throw new RegistryHttpError('NAME_INVALID', m[1]);
      return true;
    };
    const blobCtx = (name: string): BlobRouteContext => ({ storage, req, res, name, query: url.searchParams, canRead: async () => authed });
    if (route(/^\/v2\/(.+)\/tags\/list$/)) return tagsList(res, m![1], url.searchParams);
    if (route(/^\/v2\/(.+)\/manifests\/([^/]+)$/)) return manifest(req, res, method, m![1], decodeURIComponent(m![2]));
    if (route(/^\/v2\/(.+)\/blobs\/uploads\/?$/)) {
      if (method !== 'POST') throw new RegistryHttpError('UNSUPPORTED');
      return handleUploadStart(blobCtx(m![1]));
    }
    if (route(/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/)) return handleUpload(blobCtx(m![1]), method, m![2]);
    if (route(/^\/v2\/(.+)\/blobs\/([^/]+)$/)) return handleBlob(blobCtx(m![1]), method, decodeURIComponent(m![2]));
    throw new RegistryHttpError('UNSUPPORTED', null, 'not found');
  }

  async function manifest(req: http.IncomingMessage, res: http.ServerResponse, method: string, name: string, ref: string): Promise<void> {
    if (!isDigest(ref) && !isTag(ref)) throw new RegistryHttpError(ref.includes(':') ? 'DIGEST_INVALID' : 'TAG_INVALID', ref);
    if (method === 'PUT') {
      const body = await readBody(req, maxManifest);
      const digest = 'sha256:' + createHash('sha256').update(body).digest('hex');
      if (isDigest(ref) && ref !== digest) throw new RegistryHttpError('DIGEST_INVALID', { digest: ref, actual: digest });
      const parsed = await checkManifest(storage, name, body, req.headers['content-type']);
      await storage.putManifest(name, body, parsed.mediaType, isDigest(ref) ? undefined : ref);
      res.writeHead(201, { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0' });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      if (!(await storage.deleteManifest(name, ref))) throw new RegistryHttpError('MANIFEST_UNKNOWN', ref);
      res.writeHead(202, { 'Content-Length': '0' });
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') throw new RegistryHttpError('UNSUPPORTED');
    let stored = await storage.getManifest(name, ref);
    if (!stored) throw new RegistryHttpError('MANIFEST_UNKNOWN', isDigest(ref) ? { digest: ref } : { tag: ref });
    // A client that accepts image manifests but not lists gets the linux/amd64 image.
    const accept = String(req.headers.accept ?? '');
    if (isIndexType(stored.mediaType) && !isDigest(ref) && accept && !accept.includes('*/*')) {
      const types = accept.split(',').map((s) => s.split(';')[0].trim());
      if (!types.some(isIndexType) && types.some(isImageManifestType)) {
        const parsed = parseManifest(stored.body, stored.mediaType);
        const child = parsed.kind === 'index' ? selectPlatform(parsed.index) : undefined;
        const resolved = child && (await storage.getManifest(name, child.digest));
        if (!resolved) throw new RegistryHttpError('MANIFEST_UNKNOWN', { tag: ref }, 'OCI index found, but accept header does not support OCI indexes');
        stored = resolved;
      }
    }
    res.writeHead(200, {
      'Content-Type': stored.mediaType || MediaType.ociManifest,
      'Content-Length': String(stored.body.length),
      'Docker-Content-Digest': stored.digest,
      ETag: `"${stored.digest}"`,
    });
    res.end(method === 'HEAD' ? undefined : stored.body);
  }

  async function tagsList(res: http.ServerResponse, name: string, q: URLSearchParams): Promise<void> {
    if (!(await storage.repoExists(name))) throw new RegistryHttpError('NAME_UNKNOWN', { name });
    const { page, link } = paginate(await storage.tags(name), q, `/v2/${name}/tags/list`);
    json(res, 200, { name, tags: page }, link);
  }

  async function catalog(res: http.ServerResponse, q: URLSearchParams): Promise<void> {
    const { page, link } = paginate(await storage.catalog(), q, '/v2/_catalog');
    json(res, 200, { repositories: page }, link);
  }

  async function search(res: http.ServerResponse, q: URLSearchParams): Promise<void> {
    const term = q.get('q') ?? '';
    let n = Number(q.get('n') || 25);
    if (!Number.isInteger(n) || n < 1) n = 25;
    n = Math.min(n, 100);
    const hits = (await storage.catalog()).filter((r) => r.includes(term)).slice(0, n);
    const results = hits.map((name) => ({ name, description: '', star_count: 0, is_official: false, is_automated: false }));
    json(res, 200, { num_results: results.length, num_pages: 1, page: 1, page_size: n, query: term, results });
  }

  const server = http.createServer((req, res) => {
    const started = Date.now();
    handle(req, res)
      .catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy(err as Error);
          return;
        }
        req.resume();
        if (err instanceof RegistryHttpError) {
          const headers: Record<string, string> = err.code === 'UNAUTHORIZED' ? { 'WWW-Authenticate': `Basic realm="${realm}"` } : {};
          sendRegistryError(res, err, headers);
          return;
        }
        logger.error('registry request failed', { method: req.method, url: req.url, error: String(err) });
        const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'unknown error', detail: String((err as Error)?.message ?? err) }] });
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
        res.end(body);
      })
      .finally(() => logger.debug('registry request', { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started }));
  });

  server.requestTimeout = 0; // layer uploads may take longer than node's 5-minute default
  server.keepAliveTimeout = 30_000;

  return {
    server,
    storage,
    async listen(port, host = '127.0.0.1') {
      await storage.init();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const a = server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function json(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function paginate(all: string[], q: URLSearchParams, base: string): { page: string[]; link: Record<string, string> } {
  const last = q.get('last');
  let items = last ? all.filter((x) => x > last) : all;
  const nRaw = q.get('n');
  if (nRaw === null) return { page: items, link: {} };
  const n = Number(nRaw);
  if (!Number.isInteger(n) || n < 0) throw new RegistryHttpError('PAGINATION_NUMBER_INVALID', { n: nRaw });
  const more = items.length > n;
  items = items.slice(0, n);
  const link: Record<string, string> = more && items.length ? { Link: `<${base}?last=${encodeURIComponent(items[items.length - 1])}&n=${n}>; rel="next"` } : {};
  return { page: items, link };
}

async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) throw new RegistryHttpError('MANIFEST_INVALID', null, `manifest too large (over ${max} bytes)`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
