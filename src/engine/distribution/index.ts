/**
 * The distribution service: `docker pull`, `push`, `login` and `search` for the Engine API.
 * Each request gets its own RegistryClient, built from the caller's `X-Registry-Auth`
 * credentials and the daemon's registry settings (`registry-mirrors`, `insecure-registries`,
 * read through a getter on every request so a SIGHUP reload applies). Transfers share one
 * TransferShared (layer de-duplication, concurrency caps) for the whole daemon, and
 * concurrent pulls of the same reference with the same credentials share one pull (one
 * manifest, config and blob GET each), every caller receiving the whole progress stream.
 *
 * Construction (src/daemon):
 *   const distribution = new DistributionService({ images, db, logger, registryConfig: () => ({ mirrors: cfg.registryMirrors, insecureRegistries: cfg.insecureRegistries }) });
 *   imageRoutes(Object.assign(images, distribution.imageHooks()));   // pull + push hooks
 *   distributionRoutes(distribution);                                  // /auth, /images/search
 *
 * On disk: table `distribution_blobs` in metadata.db (pushed-digests.ts). Pulled layers go
 * through the LayerStore (store-destination.ts); pushed ones are read from it (store-source.ts).
 * Events (type `image`): pull (by the images service), push.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, NotFoundError, SystemError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/logger.ts';
import { isValidTag, repoName } from '../../common/reference.ts';
import {
  canonicalString,
  createTransferShared,
  decodeRegistryAuth,
  familiarName,
  familiarString,
  parsePlatform,
  parseReference,
  pullImage,
  pushImage,
  RegistryClient,
  RegistryUnauthorizedError,
  type AuthConfig,
  type EndpointConfig,
  type ImageReference,
  type Platform,
  type ProgressEvent,
  type PullResult,
  type TransferShared,
} from '../../registry/client/index.ts';
import type { Db } from '../../store/db.ts';
import type { ImagesService } from '../images/index.ts';
import { PushedDigests } from './pushed-digests.ts';
import { filterResults, searchLimit, splitSearchTerm, type SearchItem } from './search.ts';
import { BlobHolds, StoreDestination } from './store-destination.ts';
import { StoreSource } from './store-source.ts';

export type { SearchItem };

export interface DistributionDeps {
  images: ImagesService;
  db: Db;
  /** The daemon's registry settings, read on every request. */
  registryConfig: () => EndpointConfig;
  logger?: Logger;
  /** Defaults to createTransferShared(3, 5). */
  shared?: TransferShared;
}

/** Credentials as the API carries them: the raw `X-Registry-Auth` header or its decoded JSON. */
export type RegistryAuthInput = string | Record<string, unknown> | undefined;

export interface PullRequest {
  fromImage: string;
  /** A tag or a digest (`sha256:…`). */
  tag?: string;
  /** With neither a tag nor a digest: every tag of the repository (else `latest`). */
  allTags?: boolean;
  /** `os/arch[/variant]`. */
  platform?: string;
  auth?: RegistryAuthInput;
  /** One docker JSON progress message; the first arrives once the manifest is resolved. */
  progress(msg: Record<string, unknown>): void;
  signal?: AbortSignal;
}

export interface PushRequest {
  tag?: string;
  auth?: RegistryAuthInput;
  progress(msg: Record<string, unknown>): void;
  signal?: AbortSignal;
}

export interface SearchRequest {
  term: string;
  limit?: number;
  filters?: Record<string, string[]>;
  auth?: RegistryAuthInput;
}

interface SharedPull {
  log: ProgressEvent[];
  sinks: Set<(e: ProgressEvent) => void>;
  promise: Promise<PullResult>;
}

/** Normalizes API credentials (either form) to an AuthConfig. */
export function toAuthConfig(a: RegistryAuthInput): AuthConfig | undefined {
  if (a === undefined) return undefined;
  if (typeof a === 'string') return decodeRegistryAuth(a);
  return decodeRegistryAuth(Buffer.from(JSON.stringify(a)).toString('base64'));
}

export class DistributionService {
  private readonly holds = new BlobHolds();
  private readonly cache: PushedDigests;
  private readonly shared: TransferShared;
  private readonly pulls = new Map<string, SharedPull>();
  private readonly logger: Logger;

  constructor(private readonly deps: DistributionDeps) {
    this.cache = new PushedDigests(deps.db);
    this.shared = deps.shared ?? createTransferShared(3, 5);
    this.logger = deps.logger ?? silentLogger;
  }

  /** A client for one request: these credentials, the current registry settings. */
  client(auth?: AuthConfig, platform?: Platform): RegistryClient {
    const cfg = this.deps.registryConfig();
    return new RegistryClient({ mirrors: cfg.mirrors ?? [], insecureRegistries: cfg.insecureRegistries ?? [], proxy: cfg.proxy, hostMirrors: cfg.hostMirrors, auth, platform, logger: this.logger });
  }

  /** The ImagesBackend hooks (`POST /images/create?fromImage=`, `POST /images/{name}/push`). */
  imageHooks(): { pull(req: PullRequest): Promise<void>; push(name: string, req: PushRequest): Promise<void> } {
    // The API's fromImage without a tag parameter is `docker pull --all-tags`.
    return { pull: (req) => this.pull({ ...req, allTags: req.tag === undefined || req.tag === '' }), push: (name, req) => this.push(name, req) };
  }

  /**
   * `docker pull`. Errors before the manifest is resolved (bad name, unauthorized, unknown
   * tag) are thrown before any progress message, so the API can answer them with a status.
   */
  async pull(req: PullRequest): Promise<void> {
    let ref = parseReference(req.fromImage);
    if (req.tag) {
      if (/^[a-z0-9]+:[a-f0-9]{32,}$/i.test(req.tag)) ref = { ...ref, tag: undefined, digest: req.tag };
      else if (!isValidTag(req.tag)) throw new InvalidArgumentError(`invalid tag format: ${req.tag}`);
      else ref = { ...ref, tag: req.tag, digest: undefined };
    }
    let platform: Platform | undefined;
    if (req.platform) {
      try {
        platform = parsePlatform(req.platform);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    }
    const auth = toAuthConfig(req.auth);
    const gate = gated(req.progress);
    try {
      if (ref.tag !== undefined || ref.digest !== undefined || !req.allTags) {
        await this.sharedPull(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref, auth, platform, gate.sink);
      } else {
        const tags = await this.client(auth, platform).tags(ref);
        if (tags.length === 0) throw new NotFoundError(`no tags found for ${familiarName(ref)}`);
        for (const tag of tags) await this.sharedPull({ ...ref, tag }, auth, platform, gate.sink);
      }
    } catch (err) {
      // As docker: a registry's 401 is not the daemon's 401 (the CLI would prompt for a login).
      if (err instanceof RegistryUnauthorizedError) throw new SystemError(err.message);
      throw err;
    } finally {
      gate.flush();
    }
  }

  private sharedPull(ref: ImageReference, auth: AuthConfig | undefined, platform: Platform | undefined, sink: (e: ProgressEvent) => void): Promise<PullResult> {
    const key = [canonicalString(ref), platform ? JSON.stringify(platform) : '', createHash('sha256').update(JSON.stringify(auth ?? {})).digest('hex')].join('|');
    let job = this.pulls.get(key);
    if (!job) {
      const j: SharedPull = { log: [], sinks: new Set(), promise: undefined as unknown as Promise<PullResult> };
      const emit = (e: ProgressEvent): void => {
        j.log.push(e);
        for (const s of j.sinks) s(e);
      };
      const dest = new StoreDestination({ images: this.deps.images, holds: this.holds, cache: this.cache, registry: ref.domain, logger: this.deps.logger });
      j.promise = pullImage({ client: this.client(auth, platform), ref, dest, progress: emit, shared: this.shared, platform }).finally(() => this.pulls.delete(key));
      this.pulls.set(key, j);
      job = j;
    }
    for (const e of job.log) sink(e);
    job.sinks.add(sink);
    const j = job;
    return j.promise.finally(() => j.sinks.delete(sink));
  }

  /** `docker push NAME[:TAG]`; without a tag, every local tag of the repository. */
  async push(name: string, req: PushRequest): Promise<void> {
    const parsed = parseReference(name);
    if (parsed.digest) throw new InvalidArgumentError('cannot push a digest reference');
    const repo: ImageReference = { domain: parsed.domain, path: parsed.path };
    const tag = req.tag || parsed.tag;
    const g = this.deps.images.graph;
    const missing = () => new NotFoundError(`An image does not exist locally with the tag: ${familiarName(repo)}`);
    let tags: string[];
    if (tag) {
      if (!isValidTag(tag)) throw new InvalidArgumentError(`invalid tag format: ${tag}`);
      tags = [tag];
    } else {
      const want = repoName(repo);
      tags = [...g.refs.byImage().values()].flat().filter((r) => r.tag !== undefined && repoName(r) === want).map((r) => r.tag!).sort();
    }
    if (tags.length === 0) throw missing();
    const targets = tags.map((t) => {
      const ref: ImageReference = { ...repo, tag: t };
      const id = g.refs.get(ref);
      if (!id || !g.images.get(id)) throw missing();
      return { ref, id };
    });
    const client = this.client(toAuthConfig(req.auth));
    const progress = req.progress as (e: ProgressEvent) => void;
    for (const { ref, id } of targets) {
      const source = new StoreSource(this.deps.images, id);
      try {
        const r = await pushImage({ client, ref, source, cache: this.cache, progress, shared: this.shared });
        if (g.images.get(id)) g.refs.add({ ...repo, digest: r.digest }, id);
        g.publish('push', id, familiarString(ref));
      } finally {
        source.close();
      }
    }
  }

  /** `POST /auth`: checks the credentials against the registry. */
  async login(body: RegistryAuthInput): Promise<{ Status: string; IdentityToken: string }> {
    const a = toAuthConfig(body) ?? {};
    const r = await this.client().login(a.serveraddress ?? '', a.username ?? '', a.password ?? '');
    return { Status: r.status, IdentityToken: r.identityToken ?? '' };
  }

  /** `GET /images/search`: a v1 search against the index the term names (or Docker Hub). */
  async search(q: SearchRequest): Promise<SearchItem[]> {
    const limit = searchLimit(q.limit);
    const filters = q.filters ?? {};
    filterResults({ num_results: 0, query: '', results: [] }, filters, limit); // validates before any request
    const { index, remote } = splitSearchTerm(q.term);
    const doc = await this.client(toAuthConfig(q.auth)).searchV1(index, remote, limit);
    return filterResults(doc, filters, limit);
  }
}

/**
 * Holds progress messages while the pull is still resolving its manifest (only "Pulling
 * from …" so far), so an early failure reaches the caller before anything was written.
 */
function gated(out: (msg: Record<string, unknown>) => void): { sink: (e: ProgressEvent) => void; flush(): void } {
  let open = false;
  const held: ProgressEvent[] = [];
  const write = (e: ProgressEvent) => out(e as Record<string, unknown>);
  return {
    sink(e) {
      if (!open && typeof e.status === 'string' && e.status.startsWith('Pulling from ') && !e.progressDetail) {
        held.push(e);
        return;
      }
      if (!open) {
        open = true;
        for (const h of held.splice(0)) write(h);
      }
      write(e);
    },
    flush() {
      // On success there is nothing held; on failure held messages are dropped with the error.
      held.length = 0;
    },
  };
}
