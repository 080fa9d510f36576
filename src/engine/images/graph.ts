/**
 * The image graph the images service works on: the stores, a cache of parsed configs, name
 * resolution with docker's rules (tag, digest, full id, unique id prefix), and the two
 * writes everything else is made of — adding an image and pointing a tag at it.
 */
import { InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import {
  familiarString, parseAnyReference, parseNormalizedNamed, referenceString, withDefaultTag, type Reference,
} from '../../common/reference.ts';
import type { SnapshotDriver } from '../../drivers/snapshot/contract.ts';
import type { ContentStore } from '../../store/content-store.ts';
import type { ImageRecord, ImageStore } from '../../store/image-store.ts';
import { chainIdsOf, type LayerStore } from '../../store/layer-store.ts';
import type { ReferenceStore } from '../../store/reference-store.ts';
import type { EventBus } from '../events/index.ts';
import { createdMs, diffIdsOf, parseImageConfig, rfc3339Nano, type ImageConfigJson } from './config.ts';

export interface ResolvedImage {
  id: string;
  config: ImageConfigJson;
  /** ChainID of the top layer (what a container's rootfs is prepared over); null = no layers. */
  topChainId: string | null;
  /** ChainIDs bottom first. */
  layerChainIds: string[];
  record: ImageRecord;
}

export class ImageGraph {
  private readonly configs = new Map<string, ImageConfigJson>();

  constructor(
    readonly content: ContentStore,
    readonly layers: LayerStore,
    readonly images: ImageStore,
    readonly refs: ReferenceStore,
    readonly driver: SnapshotDriver,
    readonly events: EventBus,
  ) {}

  configOf(id: string): ImageConfigJson {
    let c = this.configs.get(id);
    if (!c) {
      c = parseImageConfig(this.images.config(id));
      this.configs.set(id, c);
    }
    return c;
  }

  forget(id: string): void {
    this.configs.delete(id);
  }

  /** docker's LogImageEvent: attributes are the image labels plus `name`. */
  publish(action: string, id: string, name: string = id, extra: Record<string, string> = {}): void {
    let labels: Record<string, string> = {};
    try {
      labels = this.configOf(id).config?.Labels ?? {};
    } catch (err) { if (!(err instanceof NotFoundError)) throw err; /* image already gone */ }
    this.events.publish('image', action, id, { ...labels, ...extra, name });
  }

  /**
   * docker's GetImage: `refOrId` may be a name[:tag], name@digest, full id (with or without
   * `sha256:`), or a unique id prefix. Throws 404 `No such image: …`.
   */
  lookup(refOrId: string): string {
    let parsed: { id: string } | { ref: Reference };
    try {
      parsed = parseAnyReference(refOrId);
    } catch (err) {
      // Not a valid name: it can still be an id prefix such as "sha256:abc".
      const hit = this.searchId(refOrId);
      if (hit) return hit;
      throw err;
    }
    if ('id' in parsed) {
      if (this.images.get(parsed.id)) return parsed.id;
      throw new NotFoundError(`No such image: ${refOrId}`);
    }
    const ref = withDefaultTag(parsed.ref);
    const id = this.refs.get(ref);
    if (id && this.images.get(id)) return id;
    const hit = this.searchId(refOrId);
    if (hit) return hit;
    throw new NotFoundError(`No such image: ${familiarString(ref)}`);
  }

  private searchId(s: string): string | undefined {
    const hex = s.startsWith('sha256:') ? s.slice(7) : s;
    if (!/^[a-f0-9]{1,64}$/.test(hex)) return undefined;
    const ids = this.images.search(hex);
    return ids.length === 1 ? ids[0] : undefined;
  }

  get(id: string): ImageRecord {
    const r = this.images.get(id);
    if (!r) throw new NotFoundError(`No such image: ${id}`);
    return r;
  }

  resolve(refOrId: string): ResolvedImage {
    const id = this.lookup(refOrId);
    const record = this.get(id);
    const config = this.configOf(id);
    const layerChainIds = chainIdsOf(diffIdsOf(config));
    return { id, config, topChainId: layerChainIds.at(-1) ?? null, layerChainIds, record };
  }

  /**
   * Writes an image whose layers are all registered already. `parent` is the parent image
   * (commit/build). Idempotent.
   */
  async addImage(configBytes: Buffer, parent?: string | null): Promise<ImageRecord> {
    const config = parseImageConfig(configBytes);
    const chain = chainIdsOf(diffIdsOf(config));
    const top = chain.at(-1) ?? null;
    if (top && !this.layers.get(top)) throw new NotFoundError(`layer does not exist: ${top}`);
    const rec = await this.images.create({ config: configBytes, parent: parent ?? null, topChainId: top, size: this.layers.chainSize(top), created: createdMs(config) });
    this.configs.set(rec.id, config);
    return rec;
  }

  /**
   * Points the tag `target` at `id` (docker's TagImage: always forced). Returns the id the
   * tag pointed at before, if another. Publishes `tag`.
   */
  tag(id: string, target: Reference): string | undefined {
    if (target.digest !== undefined) throw new InvalidArgumentError('refusing to create a tag with a digest reference');
    const ref = withDefaultTag(target);
    const before = this.refs.add(ref, id);
    this.images.setLastTagTime(id, rfc3339Nano(new Date()));
    this.publish('tag', id, familiarString(ref));
    return before;
  }

  /** Parses a user-typed tag target (`bb`, `bb:v1`, `localhost:5000/a/b:t`). */
  parseTarget(s: string): Reference {
    return withDefaultTag(parseNormalizedNamed(s));
  }

  familiarRefs(id: string): { tags: string[]; digests: string[] } {
    const tags: string[] = [];
    const digests: string[] = [];
    for (const r of this.refs.references(id)) {
      if (r.digest !== undefined) digests.push(familiarString(r));
      else if (r.tag !== undefined) tags.push(familiarString(r));
    }
    return { tags, digests };
  }

  refKey(r: Reference): string {
    return referenceString(r);
  }
}
