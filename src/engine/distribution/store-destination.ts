/**
 * The local image store as a pull destination (registry client's ImageDestination).
 *
 * putBlob: the verifying download is decompressed while it streams (gzip, zstd, or a plain
 * tar, by its magic bytes; in a child process where Debian's tools are installed) and
 * extracted at once into a staged layer (LayerStore.stage: the DiffID and tar-split are
 * computed on the way). Layers of a pull run in parallel (the transfer limit), each a
 * pipeline download → decompress → extract. The download checks the compressed digest (an
 * error of the stream fails the staging), the staged DiffID is checked against the config;
 * a staged layer is invisible (a temp dir) until commit. commit: the layers are placed
 * bottom-up (LayerStore.applyDiff: a rename each; pinned until the image row exists), then
 * `images.addPulled` writes the image, its tag and its RepoDigest. abort: staged layers this
 * pull made that no other running pull uses are dropped, and layers it placed that nothing
 * holds are released.
 *
 * `BlobHolds` is shared by every pull of the daemon: which DiffIDs running pulls rely on.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { decompress } from '../../common/compression.ts';
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
    return this.graph.layers.hasDiff(layer.diffId);
  }

  async putBlob(stream: Readable, info: LayerBlobInfo & { diffId: string; index: number }): Promise<string> {
    this.o.holds.hold(info.diffId, this);
    const { out, drain } = tracked(stream);
    const layers = this.graph.layers;
    try {
      const { stream: plain } = await decompress(out);
      const staged = await layers.stage(plain);
      if (staged.diffId !== info.diffId) {
        await layers.discardStaged(staged);
        throw new VerificationFailedError(`filesystem layer verification failed for digest ${info.digest}: its content is not the config's diffID ${info.diffId}`);
      }
      this.stored.add(staged.diffId);
      await layers.offerStaged(staged);
      return staged.diffId;
    } catch (err) {
      if (err instanceof VerificationFailedError) throw err;
      // A corrupt blob usually breaks the decompression before the digest check at its end
      // runs: let the rest of the download decide which error it is.
      const verdict = await drain();
      if (verdict) throw verdict;
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
      const rec = await layers.applyDiff(l.diffId, parent);
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
    for (const l of c.layers) await this.o.cache.set(l.diffId, this.o.registry, { digest: l.digest, size: l.size, mediaType: l.mediaType });
    this.unpinAll();
    // Staged copies of layers this image already had (its chain existed) are not needed.
    for (const d of this.stored) if (!this.o.holds.heldByOthers(d, this)) await layers.dropStaged(d);
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
    for (const d of this.stored) {
      if (this.o.holds.heldByOthers(d, this)) continue;
      await g.layers.dropStaged(d).catch(warn(`removal of staged layer ${d}`));
    }
    this.o.holds.releaseAll(this);
  }

  private unpinAll(): void {
    for (const u of this.unpins.splice(0)) u();
  }
}

/**
 * The download as a stream whose error is remembered: `drain()` reads what the download has
 * left and resolves with its error, if any (the digest verdict), once the consumer gave up.
 */
function tracked(src: Readable): { out: Readable; drain(): Promise<unknown> } {
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
  const out = Readable.from(raw(), { objectMode: false });
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
