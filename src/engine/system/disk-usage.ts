/**
 * `GET /system/df`: docker's DiskUsage assembled from the services that own each part
 * (`DiskUsageSources`, wired in src/daemon). Images carry their container counts and shared
 * sizes, containers their SizeRw/SizeRootFs, volumes their UsageData, and the build cache its
 * records with `BuilderSize` their sum. `types` (the `type` query values, from API 1.42)
 * pick the parts to compute (container, image, volume, build-cache); a part not asked for is
 * left out.
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import type { ImageShape } from '../images/index.ts';

export type DiskUsageType = 'container' | 'image' | 'volume' | 'build-cache';
const TYPES: DiskUsageType[] = ['container', 'image', 'volume', 'build-cache'];

export interface BuildCacheRecord { ID: string; Size: number; InUse: boolean; Shared: boolean; [k: string]: unknown }

export interface DiskUsageSources {
  /** Top-level images with `Containers` and `SharedSize` filled, and the size of every used layer. */
  images(containersOf: (imageId: string) => number, shape: ImageShape): { LayersSize: number; Images: unknown[] };
  /** Every container (any state) as `docker ps -a -s` lists it. */
  containers(): Array<Record<string, unknown>>;
  /** The image id (`sha256:…`) of every container, for the per-image counts. */
  containerImageIds(): string[];
  /** Every volume with UsageData { Size, RefCount }. */
  volumes(): unknown[];
  buildCache(): BuildCacheRecord[];
}

export interface DiskUsageOptions {
  /** Parts asked for (`type` query values); empty or absent = all. */
  types?: string[];
  /** Fields of the images' summaries that older API versions have (picked by the router). */
  images?: ImageShape;
}

/** The `type` values, checked; all four when none were given. */
export function diskUsageTypes(types: string[] | undefined): Set<DiskUsageType> {
  if (!types?.length) return new Set(TYPES);
  for (const t of types) if (!TYPES.includes(t as DiskUsageType)) throw new InvalidArgumentError(`unknown object type: ${t}`);
  return new Set(types as DiskUsageType[]);
}

export function diskUsage(src: DiskUsageSources, opts: DiskUsageOptions = {}): Record<string, unknown> {
  const want = diskUsageTypes(opts.types);
  const out: Record<string, unknown> = {};
  if (want.has('image')) {
    const counts = new Map<string, number>();
    for (const id of src.containerImageIds()) counts.set(id, (counts.get(id) ?? 0) + 1);
    const im = src.images((id) => counts.get(id) ?? 0, opts.images ?? {});
    out.LayersSize = im.LayersSize;
    out.Images = im.Images;
  }
  if (want.has('container')) out.Containers = src.containers();
  if (want.has('volume')) out.Volumes = src.volumes();
  if (want.has('build-cache')) {
    const bc = src.buildCache();
    out.BuildCache = bc;
    out.BuilderSize = bc.reduce((n, b) => n + b.Size, 0);
  }
  return out;
}
