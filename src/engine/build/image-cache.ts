/**
 * The classic builder's layer cache (moby image/cache): which existing image a step may
 * reuse instead of running.
 *
 * Without `--cache-from` (LocalImageCache): a child of the current image made by the same
 * step (same history line, author and resulting config).
 *
 * With `--cache-from` (ImageCache; the listed images are the only trusted sources, names
 * that do not resolve are skipped): a local hit counts only when it is an ancestor of one
 * of the sources; otherwise a source whose history and layers continue the current image's
 * and whose next history line is this step is used directly (its last step: the source
 * itself, re-parented onto the current image) or restored (a new image: the current one
 * plus that step's history entry and layer). After a restore only that source is followed.
 * This is what lets images pulled from a registry (no local parent chain) serve as cache.
 *
 *   const cache = new ImageCache(images, req.cacheFrom, logger);
 *   const hit = await cache.get(st.image, st.config, st.author, '/bin/sh -c make');
 */
import type { Logger } from '../../common/logger.ts';
import type { ContainerConfig, ImageConfigJson, ImagesService } from '../images/index.ts';

/** JSON with sorted keys and empty containers dropped: configs compare equal when docker's would. */
export function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) {
        const val = (x as Record<string, unknown>)[k];
        if (val === null || val === undefined || val === '' || val === false) continue;
        if (typeof val === 'object' && !Array.isArray(val) && Object.keys(val).length === 0) continue;
        if (Array.isArray(val) && val.length === 0) continue;
        out[k] = norm(val);
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(norm(v));
}

type History = NonNullable<ImageConfigJson['history']>[number];

const sameHistory = (a: History, b: History) =>
  (a.created ?? '') === (b.created ?? '') && (a.created_by ?? '') === (b.created_by ?? '') && (a.author ?? '') === (b.author ?? '')
  && (a.comment ?? '') === (b.comment ?? '') && !!a.empty_layer === !!b.empty_layer;

/** moby isValidParent: `target`'s history and layers start with `parent`'s. */
function continues(target: ImageConfigJson, parent: ImageConfigJson | undefined): boolean {
  const th = target.history ?? [];
  if (th.length === 0) return false;
  const ph = parent?.history ?? [];
  const pd = parent?.rootfs?.diff_ids ?? [];
  if (!parent || (ph.length === 0 && pd.length === 0)) return true;
  const td = target.rootfs?.diff_ids ?? [];
  if (ph.length >= th.length || pd.length > td.length) return false;
  return ph.every((h, i) => sameHistory(h, th[i]!)) && pd.every((d, i) => d === td[i]);
}

export class ImageCache {
  /** Image ids of `--cache-from`; undefined: the local cache only. */
  private sources: string[] | undefined;

  constructor(private readonly images: ImagesService, cacheFrom: string[] | undefined, logger: Logger) {
    if (!cacheFrom?.length) return;
    this.sources = [];
    for (const ref of cacheFrom) {
      try {
        this.sources.push(images.lookup(ref));
      } catch (err) {
        logger.warn(`Could not look up ${ref} for cache resolution, skipping: ${(err as Error).message}`);
      }
    }
  }

  /** An image to use for the step over `parent` that ends with history line `createdBy` and runtime `config`. */
  async get(parent: string | undefined, config: ContainerConfig, author: string | undefined, createdBy: string): Promise<string | undefined> {
    const local = this.local(parent, config, author, createdBy);
    if (!this.sources) return local;
    if (local && this.sources.some((s) => this.isAncestor(local, s))) return local;
    return this.fromSources(parent, config, createdBy);
  }

  private local(parent: string | undefined, config: ContainerConfig, author: string | undefined, createdBy: string): string | undefined {
    const g = this.images.graph;
    const candidates = parent ? g.images.children(parent) : g.images.all().filter((i) => i.parent === null).map((i) => i.id);
    const want = canonical(config);
    for (const id of candidates.reverse()) {
      let cfg;
      try { cfg = g.configOf(id); } catch { continue; }
      const h = cfg.history?.at(-1);
      if (!h || h.created_by !== createdBy) continue;
      if ((cfg.author ?? '') !== (author ?? '')) continue;
      if ((cfg.parent ?? undefined) !== parent) continue;
      if (canonical(cfg.config ?? {}) !== want) continue;
      return id;
    }
    return undefined;
  }

  /** Whether `id` is a strict ancestor of `of` through the parent links. */
  private isAncestor(id: string, of: string): boolean {
    const seen = new Set<string>();
    let cur = this.images.graph.images.get(of)?.parent ?? null;
    while (cur && !seen.has(cur)) {
      if (cur === id) return true;
      seen.add(cur);
      cur = this.images.graph.images.get(cur)?.parent ?? null;
    }
    return false;
  }

  private async fromSources(parent: string | undefined, config: ContainerConfig, createdBy: string): Promise<string | undefined> {
    const g = this.images.graph;
    const parentCfg = parent ? g.configOf(parent) : undefined;
    const index = parentCfg?.history?.length ?? 0;
    for (const target of this.sources ?? []) {
      let cfg: ImageConfigJson;
      try { cfg = g.configOf(target); } catch { continue; }
      if (!continues(cfg, parentCfg) || cfg.history![index]?.created_by !== createdBy) continue;
      if (cfg.history!.length - 1 === index) {
        if (parent) this.images.setParent(target, parent);
        return target;
      }
      const id = await this.images.restoreCachedImage(parent, target, index, structuredClone(config));
      this.sources = [target];
      return id;
    }
    return undefined;
  }
}
