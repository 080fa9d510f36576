/**
 * `system df -v`: docker's verbose disk usage — the images (SIZE, SHARED SIZE, UNIQUE SIZE,
 * CONTAINERS), containers (LOCAL VOLUMES, SIZE without the virtual part), volumes (LINKS,
 * SIZE) and build cache tables, each under its title, as docker's DiskUsageContext prints them.
 */
import { humanSize, timeAgo } from '../common/human.ts';
import { PS_HEADERS, psRow, type ContainerSummary } from './container-rows.ts';
import { formatList } from './format.ts';
import { IMAGE_HEADERS, imageRows, type ImageSummary } from './image-rows.ts';

export interface VerboseDf {
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: Array<{ Name: string; UsageData?: { Size: number; RefCount: number } | null }> | null;
  BuildCache?: Array<{ ID: string; Type?: string; Size: number; CreatedAt?: string; LastUsedAt?: string | null; UsageCount?: number; InUse: boolean; Shared: boolean }> | null;
}

const IMAGES_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const CONTAINERS_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUMES_FORMAT = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const CACHE_FORMAT = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

function table(format: string, rows: object[], headers: Record<string, string>): string {
  return formatList(undefined, format, rows, headers).replace(/\n$/, '');
}

function sinceOrEmpty(t: string | null | undefined, now: number): string {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? '' : timeAgo(ms, now);
}

export function dfVerbose(d: VerboseDf, now = Date.now()): string {
  const images = imageRows(d.Images ?? [], { trunc: true, digests: false, now });
  // Don't show the virtual size: only what each container wrote.
  const containers = (d.Containers ?? []).map((c) => psRow({ ...c, SizeRootFs: 0 }, true, now));
  const volumes = (d.Volumes ?? []).map((v) => {
    const size = v.UsageData?.Size ?? -1;
    return { Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: size < 0 ? 'N/A' : humanSize(size, 4) };
  });
  const cache = d.BuildCache ?? [];
  const cacheRows = cache.map((b) => ({
    ID: b.ID.slice(0, 12), CacheType: b.Type ?? '', Size: humanSize(b.Size, 4), CreatedSince: sinceOrEmpty(b.CreatedAt, now),
    LastUsedSince: sinceOrEmpty(b.LastUsedAt, now), UsageCount: String(b.UsageCount ?? 0), Shared: String(b.Shared),
  }));
  const cacheSize = cache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  return [
    'Images space usage:', '', table(IMAGES_FORMAT, images, IMAGE_HEADERS), '',
    'Containers space usage:', '', table(CONTAINERS_FORMAT, containers, PS_HEADERS), '',
    'Local Volumes space usage:', '', table(VOLUMES_FORMAT, volumes, { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' }), '',
    `Build cache usage: ${humanSize(cacheSize, 4)}`, '',
    table(CACHE_FORMAT, cacheRows, { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' }),
  ].join('\n') + '\n';
}
