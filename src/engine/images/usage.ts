/**
 * `system df`'s image half, computed like moby's ImageService (Images with extra attributes,
 * LayerDiskUsage):
 * - Images: the top-level images (`docker images` without `-a`), each with `Containers` (how
 *   many containers of any state use exactly that image) and `SharedSize` (the layers of its
 *   chain that another listed image also has).
 * - LayersSize: the diff sizes of every layer some image (intermediate ones included) refers
 *   to, each counted once.
 */
import type { ImageGraph } from './graph.ts';
import { listImages, type ImageShape, type ImageSummary } from './views.ts';

export interface ImagesUsage {
  LayersSize: number;
  Images: ImageSummary[];
}

/** `containersOf(imageId)`: how many containers use the image (its full `sha256:` id). */
export function imagesDiskUsage(g: ImageGraph, containersOf: (imageId: string) => number, shape: ImageShape = {}): ImagesUsage {
  const images = listImages(g, { ...shape, all: false });
  fillSharedSizes(g, images);
  for (const s of images) s.Containers = containersOf(s.Id);
  return { LayersSize: layersDiskUsage(g), Images: images };
}

/** Sets each summary's SharedSize: the sizes of its layers that another image of the list also has. */
export function fillSharedSizes(g: ImageGraph, images: ImageSummary[]): void {
  const chains = new Map<string, string[]>();
  const refs = new Map<string, number>();
  for (const s of images) {
    const top = g.images.get(s.Id)?.topChainId;
    const chain = top ? g.layers.chain(top).map((l) => l.chainId) : [];
    chains.set(s.Id, chain);
    for (const c of chain) refs.set(c, (refs.get(c) ?? 0) + 1);
  }
  for (const s of images) {
    s.SharedSize = 0;
    for (const c of chains.get(s.Id) ?? []) if ((refs.get(c) ?? 0) > 1) s.SharedSize += g.layers.get(c)?.size ?? 0;
  }
}

/** Sum of the diff sizes of the layers any image refers to (moby's LayerDiskUsage). */
export function layersDiskUsage(g: ImageGraph): number {
  const used = new Set<string>();
  for (const img of g.images.all()) {
    if (!img.topChainId || used.has(img.topChainId)) continue;
    for (const l of g.layers.chain(img.topChainId)) used.add(l.chainId);
  }
  let total = 0;
  for (const c of used) total += g.layers.get(c)?.size ?? 0;
  return total;
}
