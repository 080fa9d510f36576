/**
 * What `docker images`, `docker image inspect` and `docker history` show: docker's
 * ImageSummary, ImageInspect and HistoryResponseItem built from the graph, with the
 * `images/json` filters (dangling, label, reference, before, since, until).
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import { familiarName, familiarString, type Reference } from '../../common/reference.ts';
import { chainIdsOf } from '../../store/layer-store.ts';
import { timestampMs } from '../../api/types/docker-time.ts';
import { diffIdsOf, dockerConfigView, type ImageConfigJson } from './config.ts';
import type { ImageGraph } from './graph.ts';
import { labelsMatch } from '../../api/types/labels.ts';

export type Filters = Record<string, string[]>;



/** Fields of older API versions, which the router picks by the version. */
export interface ImageShape {
  /** `<none>:<none>` and `<none>@<none>` as the references of an image without any (before API 1.43). */
  nonePlaceholders?: boolean;
  /** `VirtualSize`, the same as Size (before API 1.44). */
  withVirtualSize?: boolean;
}

export interface ListOptions extends ImageShape {
  all?: boolean;
  filters?: Filters;
  digests?: boolean;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

const LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

/**
 * Go's path.Match for reference patterns (`*`, `?`, `[…]`, `\` escapes; `*` stops at `/`).
 * A malformed pattern (an unclosed `[`) is the client's mistake: 400 `syntax error in pattern`.
 */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidArgumentError('syntax error in pattern');
      let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  let rx: RegExp;
  try {
    rx = new RegExp(re + '$');
  } catch {
    throw new InvalidArgumentError('syntax error in pattern');
  }
  return rx.test(s);
}

/** reference.FamiliarMatch */
function familiarMatch(pattern: string, ref: Reference): boolean {
  return globMatch(pattern, familiarString(ref)) || globMatch(pattern, familiarName(ref));
}

function boolFilter(f: Filters, key: string): boolean | undefined {
  const v = f[key];
  if (!v || v.length === 0) return undefined;
  if (v.every((x) => x.toLowerCase() === 'true' || x === '1')) return true;
  if (v.every((x) => x.toLowerCase() === 'false' || x === '0')) return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${v.join(',')}'`);
}

export function listImages(g: ImageGraph, opts: ListOptions = {}): ImageSummary[] {
  const f = opts.filters ?? {};
  for (const k of Object.keys(f)) if (!LIST_FILTERS.includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  const dangling = boolFilter(f, 'dangling');
  for (const p of f.reference ?? []) globMatch(p, ''); // refuses a malformed pattern before listing
  let beforeMs: number | undefined;
  let sinceMs: number | undefined;
  for (const b of f.before ?? []) beforeMs = g.get(g.lookup(b)).created;
  for (const s of f.since ?? []) sinceMs = g.get(g.lookup(s)).created;
  let untilMs: number | undefined;
  for (const u of f.until ?? []) { const t = timestampMs(u); if (untilMs === undefined || t < untilMs) untilMs = t; }
  const byImage = g.refs.byImage();
  const out: ImageSummary[] = [];
  const createdMs = new Map<string, number>();
  for (const img of g.images.all()) {
    // dangling=true looks at the heads only (images no other image is built on), as moby does.
    if (dangling === true && g.images.children(img.id).length > 0) continue;
    if (beforeMs !== undefined && !(img.created < beforeMs)) continue;
    if (sinceMs !== undefined && !(img.created > sinceMs)) continue;
    if (untilMs !== undefined && !(img.created < untilMs)) continue;
    let config: ImageConfigJson;
    try {
      config = g.configOf(img.id);
    } catch {
      continue;
    }
    if (!labelsMatch(f.label, config.config?.Labels)) continue;
    const tags: string[] = [];
    const digests: string[] = [];
    for (const ref of byImage.get(img.id) ?? []) {
      if (f.reference?.length && !f.reference.some((p) => familiarMatch(p, ref))) continue;
      if (ref.digest !== undefined) digests.push(familiarString(ref));
      else if (ref.tag !== undefined) tags.push(familiarString(ref));
    }
    tags.sort();
    digests.sort();
    if (tags.length === 0 && digests.length === 0) {
      if (!opts.all && g.images.children(img.id).length > 0) continue;
      if (dangling === false) continue;
      if (f.reference?.length) continue;
    } else if (dangling === true && tags.length > 0) continue;
    const s: ImageSummary = {
      Id: img.id,
      ParentId: img.parent ?? '',
      RepoTags: tags,
      RepoDigests: digests,
      Created: Math.floor(img.created / 1000),
      Size: img.size,
      SharedSize: -1,
      Labels: config.config?.Labels ?? null,
      Containers: -1,
    };
    if (opts.nonePlaceholders && tags.length === 0 && digests.length === 0) {
      s.RepoTags = ['<none>:<none>'];
      s.RepoDigests = ['<none>@<none>'];
    }
    if (opts.withVirtualSize) s.VirtualSize = img.size;
    createdMs.set(img.id, img.created);
    out.push(s);
  }
  // Newest first by the full creation time (two images built within a second keep their order).
  out.sort((a, b) => (createdMs.get(b.Id) ?? 0) - (createdMs.get(a.Id) ?? 0) || (a.Id < b.Id ? -1 : 1));
  return out;
}

export function inspectImage(g: ImageGraph, refOrId: string, shape: Pick<ImageShape, 'withVirtualSize'> = {}): Record<string, unknown> {
  const r = g.resolve(refOrId);
  const c = r.config;
  const { tags, digests } = g.familiarRefs(r.id);
  let data: Record<string, string> | null = null;
  if (r.topChainId) {
    try {
      data = g.driver.layerPaths(g.layers.get(r.topChainId)?.cacheId ?? r.topChainId);
    } catch { data = null; }
  }
  const out: Record<string, unknown> = {
    Id: r.id,
    RepoTags: tags,
    RepoDigests: digests,
    Parent: r.record.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? '0001-01-01T00:00:00Z',
  };
  // Docker 25 (API 1.45) dropped these two; docker-compose 1.29 (Debian 12's) negotiates the
  // newest API and reads ContainerConfig when it recreates a container (KeyError without it), so
  // wharf keeps them at every version: an extra field harms no newer client.
  out.Container = c.container ?? '';
  out.ContainerConfig = dockerConfigView(c.container_config);
  Object.assign(out, {
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: dockerConfigView(c.config),
    Architecture: c.architecture ?? '',
  });
  if (c.variant) out.Variant = c.variant;
  out.Os = c.os ?? '';
  if (c['os.version']) out.OsVersion = c['os.version'];
  out.Size = r.record.size;
  if (shape.withVirtualSize) out.VirtualSize = r.record.size;
  out.GraphDriver = { Data: data, Name: g.driver.name };
  out.RootFS = { Type: c.rootfs?.type ?? 'layers', Layers: diffIdsOf(c) };
  out.Metadata = { LastTagTime: r.record.lastTagTime ?? '0001-01-01T00:00:00Z' };
  return out;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export function imageHistory(g: ImageGraph, refOrId: string): HistoryItem[] {
  const r = g.resolve(refOrId);
  const diffIds = diffIdsOf(r.config);
  const chains = chainIdsOf(diffIds);
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of r.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      if (layer >= chains.length) throw new InvalidArgumentError('too many non-empty layers in History section');
      size = g.layers.get(chains[layer]!)?.size ?? 0;
      layer++;
    }
    items.unshift({ Id: '<missing>', Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0, CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' });
  }
  // Fill in image ids and tags down the parent chain.
  let id: string | null = r.id;
  for (const item of items) {
    if (!id) break;
    item.Id = id;
    const { tags } = g.familiarRefs(id);
    item.Tags = tags.length ? tags : null;
    id = g.images.get(id)?.parent ?? null;
    if (id && !g.images.get(id)) break;
  }
  return items;
}
