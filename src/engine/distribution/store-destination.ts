/**
 * The local image store as a pull destination (registry client's ImageDestination).
 *
 * putBlob: the verifying download is inflated while it streams (gzip by its magic bytes,
 * plain tar otherwise) and ingested into the content store under its DiffID — the ingest
 * checks the DiffID, the download checks the compressed digest; nothing lands in content/
 * unless both hold. commit: the layers are applied bottom-up through the LayerStore (pinned
 * until the image row exists), then `images.addPulled` writes the image, its tag and its
 * RepoDigest. abort: blobs this pull ingested that no layer row and no other running pull
 * uses are deleted, and layers it applied that nothing holds are released.
 *
 * `BlobHolds` is shared by every pull of the daemon: which DiffIDs running pulls rely on.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError } from '../../common/errors.ts';
import { isGone } from '../../common/cleanups.ts';
import type { Logger } from '../../common/logger.ts';
import {
  familiarString,
  VerificationFailedError,
  type CompressedDigestCache,
  type ImageDestination,
  type LayerBlobInfo,
  type PullCommit,
} from '../../registry/client/index.ts';
import type { ImagesService } from '../images/index.ts';

/** DiffIDs running pulls rely on, by pull. */
export class BlobHolds {
  private readonly holders = new Map<string, Set<object>>();

  hold(diffId: string, owner: object): void {
    let s = this.holders.get(diffId);
    if (!s) this.holders.set(diffId, (s = new Set()));
    s.add(owner);
  }

  releaseAll(owner: object): void {
    for (const [d, s] of this.holders) {
      s.delete(owner);
      if (s.size === 0) this.holders.delete(d);
    }
  }

  heldByOthers(diffId: string, owner: object): boolean {
    const s = this.holders.get(diffId);
    return !!s && [...s].some((o) => o !== owner);
  }
}

export interface StoreDestinationOptions {
  images: ImagesService;
  holds: BlobHolds;
  /** Remembers the compressed digest of each pulled layer for later pushes to `registry`. */
  cache: CompressedDigestCache;
  registry: string;
  /** Where an abort's failed cleanups are reported. */
  logger?: Logger;
}

export class StoreDestination implements ImageDestination {
  private readonly stored = new Set<string>();
  private readonly unpins: (() => void)[] = [];
  private appliedTop: string | null = null;

  constructor(private readonly o: StoreDestinationOptions) {}

  private get graph() {
    return this.o.images.graph;
  }

  async hasLayer(layer: { digest: string; diffId: string }): Promise<boolean> {
    this.o.holds.hold(layer.diffId, this);
    return this.graph.content.has(layer.diffId) && this.graph.layers.diffIds().has(layer.diffId);
  }

  async putBlob(stream: Readable, info: LayerBlobInfo & { diffId: string; index: number }): Promise<string> {
    this.o.holds.hold(info.diffId, this);
    const { out, drain } = inflate(stream);
    try {
      const blob = await this.graph.content.ingest(out, { expected: info.diffId });
      this.stored.add(blob.digest);
      return blob.digest;
    } catch (err) {
      if (err instanceof VerificationFailedError) throw err;
      // A corrupt blob usually breaks the decompression before the digest check at its end
      // runs: let the rest of the download decide which error it is.
      const verdict = await drain();
      if (verdict) throw verdict;
      if (err instanceof InvalidArgumentError && /digest mismatch/.test(err.message)) {
        throw new VerificationFailedError(`filesystem layer verification failed for digest ${info.digest}: its content is not the config's diffID ${info.diffId}`);
      }
      throw err;
    }
  }

  async putConfig(): Promise<void> {
    // addPulled stores the config together with the image row (commit).
  }

  async commit(c: PullCommit): Promise<{ updated: boolean }> {
    const layers = this.graph.layers;
    let parent: string | null = null;
    for (const l of c.layers) {
      const rec = await layers.applyBlob(l.diffId, parent);
      this.unpins.push(layers.pin(rec.chainId));
      parent = rec.chainId;
      this.appliedTop = parent;
    }
    const id = 'sha256:' + createHash('sha256').update(c.config).digest('hex');
    const name = { domain: c.ref.domain, path: c.ref.path };
    const tag = c.ref.tag !== undefined ? familiarString({ ...name, tag: c.ref.tag }) : undefined;
    const digestRef = familiarString({ ...name, digest: c.manifestDigest });
    const named = this.graph.parseTarget(tag ?? digestRef);
    const before = this.graph.refs.get(named);
    await this.o.images.addPulled(c.config, { tag, digestRef });
    for (const l of c.layers) await this.o.cache.set(l.diffId, this.o.registry, { digest: l.digest, size: l.size });
    this.unpinAll();
    this.o.holds.releaseAll(this);
    return { updated: before !== id };
  }

  async abort(): Promise<void> {
    this.unpinAll();
    const g = this.graph;
    // What an aborted pull stored is garbage; what cannot go now is found again by the
    // start-up reconcile (unreferenced layers and blobs), so it is logged, not recorded.
    const warn = (what: string) => (e: Error) => { if (!isGone(e)) this.o.logger?.warn(`aborted pull: ${what}: ${e.message}`); };
    if (this.appliedTop) await g.layers.release(this.appliedTop, (chainId) => g.images.holdsLayer(chainId)).catch(warn(`release of layer ${this.appliedTop}`));
    const inUse = g.layers.diffIds();
    for (const d of this.stored) {
      if (inUse.has(d) || this.o.holds.heldByOthers(d, this)) continue;
      await g.content.delete(d).catch(warn(`removal of blob ${d}`));
    }
    this.o.holds.releaseAll(this);
  }

  private unpinAll(): void {
    for (const u of this.unpins.splice(0)) u();
  }
}

/**
 * The uncompressed bytes of a layer blob. `drain()` reads what the download has left and
 * resolves with its error, if any (the digest verdict), once the consumer gave up.
 */
function inflate(src: Readable): { out: Readable; drain(): Promise<unknown> } {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let srcError: unknown;
  let finished = false;
  const next = async (): Promise<IteratorResult<Buffer>> => {
    try {
      const r = await it.next();
      if (r.done) finished = true;
      return r;
    } catch (err) {
      srcError ??= err;
      finished = true;
      throw err;
    }
  };
  async function* raw(): AsyncGenerator<Buffer> {
    for (;;) {
      const r = await next();
      if (r.done) return;
      yield r.value;
    }
  }
  async function* sniffed(): AsyncGenerator<Buffer> {
    const head: Buffer[] = [];
    let len = 0;
    const gen = raw();
    while (len < 4) {
      const r = await gen.next();
      if (r.done) break;
      head.push(r.value);
      len += r.value.length;
    }
    const first = Buffer.concat(head);
    if (first.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) throw new InvalidArgumentError('zstd compressed layers are not supported');
    const all = async function* (): AsyncGenerator<Buffer> {
      if (first.length) yield first;
      yield* gen;
    };
    if (first[0] === 0x1f && first[1] === 0x8b) {
      const gz = createGunzip();
      const input = Readable.from(all(), { objectMode: false });
      input.on('error', (e) => gz.destroy(e));
      input.pipe(gz);
      for await (const c of gz as AsyncIterable<Buffer>) yield c;
      return;
    }
    yield* all();
  }
  const out = Readable.from(sniffed(), { objectMode: false });
  return {
    out,
    async drain() {
      while (!finished) {
        try {
          await next();
        } catch {
          break;
        }
      }
      return srcError;
    },
  };
}
