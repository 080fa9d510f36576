/**
 * New images from a tar: `docker import` (a rootfs tar becomes a one-layer image) and
 * `createImage` for commit and build (a diff tar becomes a new top layer over an existing
 * image, or no layer at all for metadata-only steps).
 */
import type { Readable } from 'node:stream';
import { WHARF_VERSION } from '../system/index.ts';
import { applyChanges } from './changes.ts';
import { encodeImageConfig, hostPlatform, rfc3339Nano, type ContainerConfig, type HistoryEntry, type ImageConfigJson } from './config.ts';
import { decompressed } from './decompress.ts';
import type { ImageGraph, ResolvedImage } from './graph.ts';
import { parseRepoTag, type Reference } from '../../common/reference.ts';
import type { ImageImportOptions } from '../../api/types/image.ts';

export type ImportOptions = ImageImportOptions;

export async function importImage(g: ImageGraph, tar: Readable, opts: ImportOptions): Promise<string> {
  const target = opts.repo ? parseRepoTag(opts.repo, opts.tag) : undefined; // validate before reading
  const config = applyChanges({}, opts.changes ?? []);
  const layer = await g.layers.register(await decompressed(tar), null);
  const unpin = g.layers.pin(layer.chainId);
  try {
    return await finishImport(g, layer.diffId, config, target, opts);
  } finally {
    unpin();
  }
}

async function finishImport(g: ImageGraph, diffId: string, config: ContainerConfig, target: Reference | undefined, opts: ImportOptions): Promise<string> {
  const created = rfc3339Nano(new Date());
  const msg = opts.message || `Imported from ${opts.src ?? '-'}`;
  const host = hostPlatform();
  const img: ImageConfigJson = {
    comment: opts.message || undefined,
    created,
    docker_version: WHARF_VERSION,
    config,
    architecture: opts.platform?.architecture || host.architecture,
    variant: opts.platform?.variant || undefined,
    os: opts.platform?.os || host.os,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, comment: msg }],
  };
  const rec = await g.addImage(encodeImageConfig(img));
  if (target) g.tag(rec.id, target);
  g.publish('import', rec.id);
  return rec.id;
}

export interface CreateImageOptions {
  /** The image this one continues (its layers and history); none = from scratch. */
  parent?: string;
  /** Uncompressed tar of the new top layer; omit for a metadata-only step (empty_layer). */
  layer?: Readable;
  /** The runtime config of the new image. */
  config: ContainerConfig;
  /** History line: what made the step (`/bin/sh -c #(nop) ENV …`, the commit's command). */
  createdBy?: string;
  comment?: string;
  author?: string;
  /** Commit: the source container's id and config. */
  container?: string;
  containerConfig?: ContainerConfig;
  /** Tag to point at the result (`repo:tag`). */
  tag?: string;
  created?: Date;
}

export async function createImage(g: ImageGraph, o: CreateImageOptions): Promise<string> {
  const target = o.tag ? g.parseTarget(o.tag) : undefined;
  const base = o.parent ? g.resolve(o.parent) : undefined;
  const diffIds = [...(base?.config.rootfs?.diff_ids ?? [])];
  const unpinBase = g.layers.pin(base?.topChainId ?? null);
  let unpinTop = () => {};
  try {
    if (o.layer) {
      const layer = await g.layers.register(o.layer, base?.topChainId ?? null);
      unpinTop = g.layers.pin(layer.chainId);
      diffIds.push(layer.diffId);
    }
    return await finishCreate(g, o, base, diffIds, target);
  } finally {
    unpinTop();
    unpinBase();
  }
}

async function finishCreate(g: ImageGraph, o: CreateImageOptions, base: ResolvedImage | undefined, diffIds: string[], target: Reference | undefined): Promise<string> {
  const created = rfc3339Nano(o.created ?? new Date());
  const history: HistoryEntry[] = [...(base?.config.history ?? [])];
  const h: HistoryEntry = { created };
  if (o.author) h.author = o.author;
  if (o.createdBy) h.created_by = o.createdBy;
  if (o.comment) h.comment = o.comment;
  if (!o.layer) h.empty_layer = true;
  history.push(h);
  const host = hostPlatform();
  const img: ImageConfigJson = {
    parent: base?.id,
    comment: o.comment || undefined,
    created,
    container: o.container,
    container_config: o.containerConfig,
    docker_version: WHARF_VERSION,
    author: o.author || undefined,
    config: o.config,
    architecture: base?.config.architecture ?? host.architecture,
    variant: base?.config.variant,
    os: base?.config.os ?? host.os,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  };
  const rec = await g.addImage(encodeImageConfig(img), base?.id ?? null);
  if (target) g.tag(rec.id, target);
  return rec.id;
}

/**
 * Build cache (`--cache-from`): an image for step `index` of `target`'s history over
 * `parent` (whose history and layers are a prefix of `target`'s): the parent's history and
 * layers plus that step's history entry and layer (already registered: the target holds
 * it), with `config` as the runtime config. Its parent is set to `parent`. Returns the id.
 */
export async function restoreCachedImage(g: ImageGraph, parent: string | undefined, target: string, index: number, config: ContainerConfig): Promise<string> {
  const base = parent ? g.resolve(parent) : undefined;
  const t = g.resolve(target).config;
  const entry = t.history![index]!;
  const diffIds = [...(base?.config.rootfs?.diff_ids ?? [])];
  if (!entry.empty_layer) {
    const layerIndex = t.history!.slice(0, index).filter((h) => !h.empty_layer).length;
    const diffId = t.rootfs?.diff_ids[layerIndex];
    if (!diffId) throw new Error(`image ${target} has no layer for history entry ${index}`);
    diffIds.push(diffId);
  }
  const img: ImageConfigJson = {
    parent: base?.id,
    created: entry.created,
    docker_version: WHARF_VERSION,
    author: t.author || undefined,
    config,
    architecture: t.architecture,
    variant: t.variant,
    os: t.os,
    'os.version': t['os.version'],
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [...(base?.config.history ?? []), entry],
  };
  const rec = await g.addImage(encodeImageConfig(img), base?.id ?? null);
  return rec.id;
}
