/**
 * The distribution (registry v2) client: endpoint resolution with mirrors and insecure
 * fallback, challenge-driven auth, login, manifests (all four types, platform selection,
 * digest verification), verified and resumable blob downloads, blob and manifest uploads
 * (monolithic, streamed with a digest computed on the fly, or cross-repo mount), tags, and
 * docker's v1 search. One client holds the credentials of one caller; sessions (pinged
 * endpoints, tokens) live as long as the client.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/logger.ts';
import { EndpointAuth, parseChallenges, repoScope, type AuthConfig } from './auth.ts';
import { verifiedDownload } from './blob-download.ts';
import { endpointsFor, type EndpointConfig, type RegistryEndpoint } from './endpoints.ts';
import {
  BlobUnknownError,
  formatRegistryErrors,
  ManifestUnknownError,
  RegistryResponseError,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
  VerificationFailedError,
} from './errors.ts';
import { formatPlatform, manifestAccept, parseManifest, selectPlatform, type ImageManifest, type Platform } from './manifest.ts';
import { dockerHubDomain, familiarString, type ImageReference, type RepoRef } from './reference.ts';
import { ProxyResolver } from './proxy.ts';
import { createHttpRequester, httpRequest, readRegistryErrors, type HttpRequester, type HttpRequestSpec, type HttpResponse } from './transport.ts';

export interface RegistryClientOptions extends EndpointConfig {
  /** The caller's credentials, or a lookup by registry domain. */
  auth?: AuthConfig | ((domain: string) => AuthConfig | undefined);
  /** Platform picked from manifest lists (default linux/amd64). */
  platform?: Platform;
  http?: HttpRequester;
  logger?: Logger;
}

export interface ManifestResult {
  /** Digest of what the reference names (the list's digest for a list): docker's `Digest:` line. */
  digest: string;
  mediaType: string;
  body: Buffer;
  /** The image manifest for the platform (the same as the top level when that is an image). */
  image: { digest: string; mediaType: string; body: Buffer; manifest: ImageManifest };
}

export interface SearchResultV1 {
  num_results: number;
  query: string;
  results: { name: string; description: string; star_count: number; is_official: boolean; is_automated: boolean }[];
}

interface Session {
  endpoint: RegistryEndpoint;
  auth: EndpointAuth;
}

const sha256 = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export class RegistryClient {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly http: HttpRequester;
  readonly logger: Logger;

  constructor(readonly options: RegistryClientOptions = {}) {
    const proxy = options.proxy ? new ProxyResolver(options.proxy) : undefined;
    this.http = options.http ?? (proxy?.enabled ? createHttpRequester(proxy) : httpRequest);
    this.logger = options.logger ?? silentLogger;
  }

  private credsFor(domain: string): AuthConfig | undefined {
    const a = this.options.auth;
    return typeof a === 'function' ? a(domain) : a;
  }

  /** Pings `/v2/` and records the auth challenge (cached per endpoint). */
  private session(ep: RegistryEndpoint, creds: AuthConfig | undefined, cache = true): Promise<Session> {
    const existing = cache ? this.sessions.get(ep.url) : undefined;
    if (existing) return existing;
    const p = (async () => {
      const res = await this.http({ url: `${ep.url}/v2/`, insecureTls: ep.insecureTls, timeoutMs: 15_000 });
      res.drain();
      if (res.status >= 500) throw new RegistryUnreachableError(`Get "${ep.url}/v2/": received unexpected HTTP status: ${res.status}`);
      const challenge = res.status === 401 ? parseChallenges(res.headers['www-authenticate']).find((c) => c.scheme === 'bearer' || c.scheme === 'basic') : undefined;
      return { endpoint: ep, auth: new EndpointAuth(challenge, creds, this.http, ep.insecureTls) };
    })();
    if (cache) {
      this.sessions.set(ep.url, p);
      p.catch(() => this.sessions.delete(ep.url)); // the caller awaiting p sees the error; a failed session is not reused
    }
    return p;
  }

  /** Runs `fn` on the first endpoint that answers; mirrors fall through on any failure. */
  private async withEndpoint<T>(domain: string, push: boolean, fn: (s: Session) => Promise<T>): Promise<T> {
    let lastErr: unknown;
    for (const ep of endpointsFor(domain, this.options, push)) {
      let s: Session;
      try {
        s = await this.session(ep, this.credsFor(domain));
      } catch (err) {
        if (!(err instanceof RegistryUnreachableError)) throw err;
        this.logger.debug('registry endpoint unreachable', { endpoint: ep.url, error: err.message });
        lastErr = err;
        continue;
      }
      try {
        return await fn(s);
      } catch (err) {
        if (!ep.mirror || err instanceof VerificationFailedError) throw err;
        this.logger.info('mirror failed, trying the next endpoint', { endpoint: ep.url, error: String(err) });
        lastErr = err;
      }
    }
    throw lastErr;
  }

  /** An authorized request on a session; a 401 becomes RegistryUnauthorizedError. */
  private async request(s: Session, scopes: string[], spec: Omit<HttpRequestSpec, 'url'> & { path: string }): Promise<HttpResponse> {
    const authorization = await s.auth.header(scopes);
    const url = /^https?:\/\//.test(spec.path) ? spec.path : `${s.endpoint.url}${spec.path}`;
    const res = await this.http({ ...spec, url, insecureTls: s.endpoint.insecureTls, headers: { ...spec.headers, ...(authorization ? { Authorization: authorization } : {}) } });
    if (res.status === 401) {
      const errs = await readRegistryErrors(res);
      throw new RegistryUnauthorizedError(errs.length ? formatRegistryErrors(errs) : 'unauthorized: authentication required');
    }
    return res;
  }

  private async fail(res: HttpResponse, what: string): Promise<never> {
    const errs = await readRegistryErrors(res);
    const msg = errs.length ? formatRegistryErrors(errs) : `received unexpected HTTP status: ${res.status}`;
    throw new RegistryResponseError(`${what}: ${msg}`, res.status, errs);
  }

  /** Checks credentials against `server`; resolves with docker's "Login Succeeded". */
  async login(server: string, username: string, password: string): Promise<{ status: string; identityToken?: string }> {
    let domain = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (domain === 'index.docker.io' || domain === 'registry-1.docker.io' || !domain) domain = dockerHubDomain;
    if (!validHostPort(domain)) throw new InvalidArgumentError(`invalid registry address ${JSON.stringify(server)}`);
    let lastErr: unknown;
    for (const ep of endpointsFor(domain, this.options, true)) {
      let s: Session;
      try {
        s = await this.session(ep, { username, password }, false);
      } catch (err) {
        if (!(err instanceof RegistryUnreachableError)) throw err;
        lastErr = err;
        continue;
      }
      if (!s.auth.challenge) return { status: 'Login Succeeded' };
      const res = await this.request(s, [], { path: '/v2/' }).catch((err: unknown) => {
        if (err instanceof RegistryUnauthorizedError && s.auth.challenge?.scheme === 'basic') {
          throw new RegistryUnauthorizedError(`login attempt to ${ep.url}/v2/ failed with status: 401 Unauthorized`);
        }
        throw err;
      });
      res.drain();
      if (res.status === 200) return s.auth.lastRefreshToken ? { status: 'Login Succeeded', identityToken: s.auth.lastRefreshToken } : { status: 'Login Succeeded' };
      throw new RegistryUnauthorizedError(`login attempt to ${ep.url}/v2/ failed with status: ${res.status}`);
    }
    throw lastErr;
  }

  /** The manifest a reference names, verified, with the platform's image manifest resolved from a list. */
  async getManifest(ref: ImageReference, opts: { platform?: Platform } = {}): Promise<ManifestResult> {
    const top = await this.getRawManifest(ref, ref.digest ?? ref.tag ?? 'latest');
    const parsed = (() => {
      try {
        return parseManifest(top.body, top.mediaType);
      } catch (err) {
        throw new RegistryResponseError(`error parsing manifest for ${familiarString(ref)}: ${(err as Error).message}`, 500);
      }
    })();
    if (parsed.kind === 'image') return { ...top, image: { ...top, mediaType: parsed.mediaType, manifest: parsed.manifest } };
    const want = opts.platform ?? this.options.platform ?? { os: 'linux', architecture: 'amd64' };
    const desc = selectPlatform(parsed.index, want);
    if (!desc) throw new NotFoundError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
    const child = await this.getRawManifest(ref, desc.digest);
    const cp = parseManifest(child.body, child.mediaType);
    if (cp.kind !== 'image') throw new RegistryResponseError(`manifest list entry ${desc.digest} is not an image manifest`, 500);
    return { ...top, image: { ...child, mediaType: cp.mediaType, manifest: cp.manifest } };
  }

  /** Raw manifest bytes for a tag or digest; a digest (and the server's Docker-Content-Digest) is verified. */
  async getRawManifest(repo: ImageReference, reference: string): Promise<{ digest: string; mediaType: string; body: Buffer }> {
    return this.withEndpoint(repo.domain, false, async (s) => {
      const res = await this.request(s, [repoScope(repo.path)], { path: `/v2/${repo.path}/manifests/${reference}`, headers: { Accept: manifestAccept } });
      if (res.status === 404) {
        const errs = await readRegistryErrors(res);
        const name = familiarString({ ...repo, tag: reference.startsWith('sha256:') ? undefined : reference, digest: reference.startsWith('sha256:') ? reference : undefined });
        throw new ManifestUnknownError(`manifest for ${name} not found: ${errs.length ? formatRegistryErrors(errs) : 'manifest unknown: manifest unknown'}`);
      }
      if (res.status !== 200) return this.fail(res, `error fetching manifest ${reference}`);
      const body = await res.buffer(8 << 20);
      const digest = sha256(body);
      const claimed = res.headers['docker-content-digest'];
      const expected = reference.startsWith('sha256:') ? reference : typeof claimed === 'string' && claimed.startsWith('sha256:') ? claimed : digest;
      if (digest !== expected) throw new VerificationFailedError(`manifest verification failed for digest ${expected}`);
      const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
      return { digest, mediaType, body };
    });
  }

  /** A verifying, resuming download of a blob (see blob-download.ts). */
  fetchBlob(repo: RepoRef, desc: { digest: string; size?: number }, opts: { onProgress?(current: number, total?: number): void } = {}): Readable {
    return verifiedDownload({
      digest: desc.digest,
      size: desc.size,
      onProgress: opts.onProgress,
      open: (offset) =>
        this.withEndpoint(repo.domain, false, async (s) => {
          const res = await this.request(s, [repoScope(repo.path)], {
            path: `/v2/${repo.path}/blobs/${desc.digest}`,
            headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
          });
          if (res.status === 404) {
            res.drain();
            throw new BlobUnknownError(`blob unknown: blob unknown to registry (${desc.digest})`);
          }
          if (res.status !== 200 && res.status !== 206) return this.fail(res, `error fetching blob ${desc.digest}`);
          return res;
        }),
    });
  }

  /** A small blob (image config) read whole and verified. */
  async fetchBlobBuffer(repo: RepoRef, desc: { digest: string; size?: number }, max = 16 << 20): Promise<Buffer> {
    if (desc.size !== undefined && desc.size > max) throw new VerificationFailedError(`blob ${desc.digest} is larger than ${max} bytes`);
    const chunks: Buffer[] = [];
    for await (const c of this.fetchBlob(repo, desc)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** The blob's size when the repository has it, else undefined. */
  async blobExists(repo: RepoRef, digest: string, push = false): Promise<number | undefined> {
    return this.withEndpoint(repo.domain, push, async (s) => {
      const res = await this.request(s, [repoScope(repo.path, push)], { method: 'HEAD', path: `/v2/${repo.path}/blobs/${digest}` });
      res.drain();
      if (res.status === 404) return undefined;
      if (res.status !== 200) return this.fail(res, `error checking blob ${digest}`);
      return Number(res.headers['content-length'] ?? 0);
    });
  }

  private async startUpload(s: Session, repo: RepoRef, query = '', extraScopes: string[] = []): Promise<HttpResponse> {
    return this.request(s, [repoScope(repo.path, true), ...extraScopes], { method: 'POST', path: `/v2/${repo.path}/blobs/uploads/${query}` });
  }

  private uploadUrl(s: Session, res: HttpResponse, digest?: string): string {
    const loc = res.headers.location;
    if (!loc) throw new RegistryResponseError('registry answered an upload start without a Location', 500);
    const u = new URL(loc, `${s.endpoint.url}/`);
    if (digest) u.searchParams.set('digest', digest);
    return u.toString();
  }

  /**
   * Uploads a blob of known digest: cross-repo mount when `mountFrom` is given and the registry
   * agrees, else POST + monolithic PUT. `body` is opened only when bytes must be sent.
   */
  async uploadBlob(repo: RepoRef, digest: string, size: number, body: Readable | (() => Readable | Promise<Readable>), opts: { mountFrom?: string } = {}): Promise<'mounted' | 'uploaded'> {
    return this.withEndpoint(repo.domain, true, async (s) => {
      let start: HttpResponse;
      if (opts.mountFrom && opts.mountFrom !== repo.path) {
        start = await this.startUpload(s, repo, `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(opts.mountFrom)}`, [repoScope(opts.mountFrom)]);
        if (start.status === 201) {
          start.drain();
          if (typeof body !== 'function') body.destroy();
          return 'mounted';
        }
      } else start = await this.startUpload(s, repo);
      if (start.status !== 202) return this.fail(start, `error starting upload of ${digest}`);
      start.drain();
      const stream = typeof body === 'function' ? await body() : body;
      const res = await this.request(s, [repoScope(repo.path, true)], {
        method: 'PUT',
        path: this.uploadUrl(s, start, digest),
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        body: stream,
      });
      if (res.status !== 201) return this.fail(res, `error uploading blob ${digest}`);
      res.drain();
      return 'uploaded';
    });
  }

  /** Uploads a stream of unknown digest (PATCH, chunked), hashing it on the way; PUT commits it. */
  async uploadStream(repo: RepoRef, body: Readable): Promise<{ digest: string; size: number }> {
    return this.withEndpoint(repo.domain, true, async (s) => {
      const start = await this.startUpload(s, repo);
      if (start.status !== 202) return this.fail(start, 'error starting upload');
      start.drain();
      const hash = createHash('sha256');
      let size = 0;
      const counted = Readable.from(
        (async function* () {
          for await (const c of body as AsyncIterable<Buffer>) {
            hash.update(c);
            size += c.length;
            yield c;
          }
        })(),
      );
      const patch = await this.request(s, [repoScope(repo.path, true)], {
        method: 'PATCH',
        path: this.uploadUrl(s, start),
        headers: { 'Content-Type': 'application/octet-stream' },
        body: counted,
      });
      if (patch.status !== 202) return this.fail(patch, 'error uploading blob');
      patch.drain();
      const digest = 'sha256:' + hash.digest('hex');
      const put = await this.request(s, [repoScope(repo.path, true)], { method: 'PUT', path: this.uploadUrl(s, patch, digest) });
      if (put.status !== 201) return this.fail(put, `error committing blob ${digest}`);
      put.drain();
      return { digest, size };
    });
  }

  /** PUTs a manifest by tag or digest; resolves with its digest. */
  async putManifest(repo: RepoRef, reference: string, body: Buffer, mediaType: string): Promise<string> {
    return this.withEndpoint(repo.domain, true, async (s) => {
      const res = await this.request(s, [repoScope(repo.path, true)], { method: 'PUT', path: `/v2/${repo.path}/manifests/${reference}`, headers: { 'Content-Type': mediaType }, body });
      if (res.status !== 201 && res.status !== 200) return this.fail(res, 'error putting manifest');
      res.drain();
      const digest = sha256(body);
      const claimed = res.headers['docker-content-digest'];
      if (typeof claimed === 'string' && claimed && claimed !== digest) throw new VerificationFailedError(`manifest verification failed for digest ${claimed}`);
      return digest;
    });
  }

  /** All tags of a repository (following Link pagination). */
  async tags(repo: RepoRef): Promise<string[]> {
    return this.withEndpoint(repo.domain, false, async (s) => {
      const out: string[] = [];
      let path: string | undefined = `/v2/${repo.path}/tags/list`;
      while (path) {
        const res: HttpResponse = await this.request(s, [repoScope(repo.path)], { path });
        if (res.status === 404) {
          const errs = await readRegistryErrors(res);
          throw new NotFoundError(errs.length ? formatRegistryErrors(errs) : `repository ${repo.path} not found`);
        }
        if (res.status !== 200) return this.fail(res, 'error listing tags');
        const doc = JSON.parse((await res.buffer(8 << 20)).toString('utf8')) as { tags?: string[] | null };
        out.push(...(doc.tags ?? []));
        const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
        path = link ? link[1] : undefined;
      }
      return out;
    });
  }

  /** docker search against a v1 index (`/v1/search?q=&n=`): HTTPS first, plain HTTP for insecure ones. */
  async searchV1(index: string, term: string, limit = 25): Promise<SearchResultV1> {
    const host = index === dockerHubDomain || index === 'index.docker.io' ? 'index.docker.io' : index;
    const creds = this.credsFor(index);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (creds?.username && creds.password) headers.Authorization = 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
    let lastErr: unknown;
    for (const ep of endpointsFor(host, this.options, true)) {
      let res: HttpResponse;
      try {
        res = await this.http({ url: `${ep.url}/v1/search?q=${encodeURIComponent(term)}&n=${limit}`, headers, insecureTls: ep.insecureTls, timeoutMs: 30_000 });
      } catch (err) {
        lastErr = err;
        continue;
      }
      if (res.status === 401) {
        res.drain();
        throw new RegistryUnauthorizedError('unauthorized: authentication required');
      }
      if (res.status !== 200) {
        res.drain();
        throw new RegistryResponseError(`Unexpected status code ${res.status}`, res.status);
      }
      const doc = JSON.parse((await res.buffer(8 << 20)).toString('utf8')) as SearchResultV1;
      return { num_results: doc.num_results ?? doc.results?.length ?? 0, query: doc.query ?? term, results: doc.results ?? [] };
    }
    throw lastErr;
  }
}

/** Whether `domain` is a host[:port] a URL can carry (`[127.0.0.1:1` is not). */
function validHostPort(domain: string): boolean {
  return /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(domain);
}
