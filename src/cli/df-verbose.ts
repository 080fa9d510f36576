/**
 * `system df -v`: docker's verbose disk usage — the images (SIZE, SHARED SIZE, UNIQUE SIZE,
 * CONTAINERS), containers (LOCAL VOLUMES, SIZE without the virtual part), volumes (LINKS,
 * SIZE) and build cache tables, each under its title, as docker's DiskUsageContext prints them.
 */
import { humanSize, timeAgo } from '../common/human.ts';
import { PS_HEADERS, psRow, type ContainerSummary } from './container-rows.ts';
import { contextRow, formatList, goTimeString } from './format.ts';
import { compileTemplate, goStruct } from '../common/go-template/index.ts';
import { IMAGE_HEADERS, imageRows, type ImageSummary } from './image-rows.ts';

export interface VerboseDf {
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: Array<{ Name: string; Driver?: string; Scope?: string; Mountpoint?: string; Labels?: Record<string, string> | null; UsageData?: { Size: number; RefCount: number } | null }> | null;
  BuildCache?: Array<{ ID: string; Parent?: string; Parents?: string[] | null; Type?: string; Description?: string; Size: number; CreatedAt?: string; LastUsedAt?: string | null; UsageCount?: number; InUse: boolean; Shared: boolean }> | null;
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
  const images = dfImageRows(d, true, now);
  // Don't show the virtual size: only what each container wrote.
  const containers = (d.Containers ?? []).map((c) => psRow({ ...c, SizeRootFs: 0 }, true, now));
  const volumes = (d.Volumes ?? []).map((v) => {
    const size = v.UsageData?.Size ?? -1;
    return { Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: size < 0 ? 'N/A' : humanSize(size, 4) };
  });
  const cache = d.BuildCache ?? [];
  const cacheRows = cache.map((b) => cacheRow(b, true, now));
  const cacheSize = cache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  return [
    'Images space usage:', '', table(IMAGES_FORMAT, images, IMAGE_HEADERS), '',
    'Containers space usage:', '', table(CONTAINERS_FORMAT, containers, PS_HEADERS), '',
    'Local Volumes space usage:', '', table(VOLUMES_FORMAT, volumes, { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' }), '',
    `Build cache usage: ${humanSize(cacheSize, 4)}`, '',
    table(CACHE_FORMAT, cacheRows, { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' }),
  ].join('\n') + '\n';
}

type CacheRecord = NonNullable<VerboseDf['BuildCache']>[number];

/** docker's buildCacheContext. */
function cacheRow(b: CacheRecord, trunc: boolean, now: number): Record<string, string> {
  const parent = b.Parents?.length ? b.Parents.join(', ') : b.Parent ?? '';
  return {
    ID: (trunc ? b.ID.slice(0, 12) : b.ID) + (b.InUse ? '*' : ''), Parent: trunc ? parent.slice(0, 12) : parent,
    CacheType: b.Type ?? '', Description: b.Description ?? '', Size: humanSize(b.Size, 3),
    CreatedAt: goTimeString(b.CreatedAt), CreatedSince: sinceOrEmpty(b.CreatedAt, now),
    LastUsedAt: b.LastUsedAt ? goTimeString(b.LastUsedAt) : '', LastUsedSince: sinceOrEmpty(b.LastUsedAt, now),
    UsageCount: String(b.UsageCount ?? 0), InUse: String(b.InUse), Shared: String(b.Shared),
  };
}

/**
 * `system df -v --format TEMPLATE`: docker runs the template once over its diskUsageContext,
 * lists of untruncated image, container, volume and build cache contexts (no newline after).
 */
export function dfVerboseFormat(d: VerboseDf, format: string, now = Date.now()): string {
  let f = format.startsWith('table') ? format.slice('table'.length) : format === 'json' ? '{{json .}}' : format;
  f = f.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const images = dfImageRows(d, false, now).map((r) => contextRow(r, '*formatter.imageContext'));
  const containers = (d.Containers ?? []).map((c) =>
    contextRow({ ...psRow({ ...c, SizeRootFs: 0 }, false, now), Platform: null }, '*formatter.ContainerContext', c.Labels ?? {}));
  const volumes = (d.Volumes ?? []).map((v) => contextRow({
    Name: v.Name, Driver: v.Driver ?? '', Scope: v.Scope ?? '', Mountpoint: v.Mountpoint ?? '',
    Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A', Size: v.UsageData ? humanSize(v.UsageData.Size, 4) : 'N/A',
    Group: 'N/A', Availability: 'N/A', Status: 'N/A',
  }, '*formatter.volumeContext', v.Labels ?? {}));
  const cache = (d.BuildCache ?? []).map((b) => contextRow(cacheRow(b, false, now), '*formatter.buildCacheContext'));
  const data = goStruct({ Images: images, Containers: containers, Volumes: volumes, BuildCache: cache }, '*formatter.diskUsageContext');
  return compileTemplate(f).execute(data);
}

/** docker's verbose df lists each image once, under its first tag (`<none>` without one). */
function dfImageRows(d: VerboseDf, trunc: boolean, now: number): object[] {
  return (d.Images ?? []).map((i) => {
    const tag = (i.RepoTags ?? []).find((t) => t !== '<none>:<none>');
    const row = imageRows([{ ...i, RepoTags: tag ? [tag] : [], RepoDigests: [] }], { trunc, digests: false, now })[0]!;
    return { ...row, ...(tag ? {} : { Repository: '<none>', Tag: '<none>' }), Digest: '' };
  });
}
