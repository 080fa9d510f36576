/**
 * `images` and `history` rows with docker's rules: one row per repo:tag (digests per tag with
 * --digests), `<none>` for dangling images, 12-char ids, sizes with 3 significant digits,
 * CREATED BY truncated to 45 characters.
 */
import { humanSize, timeAgo } from '../common/human.ts';
import { familiarName, parseNormalizedNamed } from '../common/reference.ts';
import { ellipsis, shortId } from './container-rows.ts';

export interface ImageSummary {
  Id: string; ParentId?: string; RepoTags?: string[] | null; RepoDigests?: string[] | null; Created: number; Size: number;
  SharedSize?: number; Containers?: number; Labels?: Record<string, string> | null;
}

export const IMAGE_HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'SIZE',
};

export function imagesDefaultFormat(digests: boolean): string {
  return `table {{.Repository}}\t{{.Tag}}\t${digests ? '{{.Digest}}\t' : ''}{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;
}

export interface ImageRow { Repository: string; Tag: string; Digest: string; ID: string; CreatedSince: string; CreatedAt: string; Size: string; Containers: string; SharedSize: string; UniqueSize: string; VirtualSize: string }

function isDangling(i: ImageSummary): boolean {
  const tags = i.RepoTags ?? [];
  const digests = i.RepoDigests ?? [];
  if (!tags.length && !digests.length) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

function tryParse(s: string) {
  try { return parseNormalizedNamed(s); } catch { return undefined; }
}

/** The (repo, tag, digest) triples docker shows for one image. */
export function imageRefs(i: ImageSummary, showDigests: boolean): Array<[string, string, string]> {
  if (isDangling(i)) return [['<none>', '<none>', '<none>']];
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const s of i.RepoTags ?? []) {
    const r = tryParse(s);
    if (r?.tag !== undefined) { const n = familiarName(r); repoTags.set(n, [...(repoTags.get(n) ?? []), r.tag]); }
  }
  for (const s of i.RepoDigests ?? []) {
    const r = tryParse(s);
    if (r?.digest !== undefined) { const n = familiarName(r); repoDigests.set(n, [...(repoDigests.get(n) ?? []), r.digest]); }
  }
  const out: Array<[string, string, string]> = [];
  for (const [repo, tags] of repoTags) {
    const digests = showDigests ? repoDigests.get(repo) ?? [] : [];
    repoDigests.delete(repo);
    for (const tag of tags) {
      if (!digests.length) out.push([repo, tag, '<none>']);
      for (const d of digests) out.push([repo, tag, d]);
    }
  }
  for (const [repo, digests] of repoDigests) {
    if (showDigests) for (const d of digests) out.push([repo, '<none>', d]);
    else out.push([repo, '<none>', '']);
  }
  return out;
}

export function imageRows(images: ImageSummary[], opts: { trunc: boolean; digests: boolean; now?: number }): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const i of images) {
    for (const [repo, tag, digest] of imageRefs(i, opts.digests)) {
      const shared = i.SharedSize ?? -1;
      rows.push({
        Repository: repo, Tag: tag, Digest: digest,
        ID: opts.trunc ? shortId(i.Id) : i.Id,
        CreatedSince: timeAgo(i.Created * 1000, opts.now ?? Date.now()),
        CreatedAt: new Date(i.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
        Size: humanSize(i.Size, 3), VirtualSize: humanSize(i.Size, 4),
        Containers: (i.Containers ?? -1) < 0 ? 'N/A' : String(i.Containers),
        // go-units HumanSize (4 significant digits), as docker's image formatter prints these two
        SharedSize: shared < 0 ? 'N/A' : humanSize(shared, 4),
        UniqueSize: shared < 0 || i.Size < 0 ? 'N/A' : humanSize(i.Size - shared, 4),
      });
    }
  }
  return rows;
}

export interface HistoryItem { Id: string; Created: number; CreatedBy: string; Tags?: string[] | null; Size: number; Comment: string }
export interface HistoryRow { ID: string; CreatedSince: string; CreatedAt: string; CreatedBy: string; Size: string; Comment: string }

export const HISTORY_HEADERS: Record<string, string> = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };
export const HISTORY_FORMAT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export function historyRows(items: HistoryItem[], opts: { trunc: boolean; human: boolean; now?: number }): HistoryRow[] {
  return items.map((h) => {
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    const id = h.Id === '<missing>' || !h.Id ? '<missing>' : opts.trunc ? shortId(h.Id) : h.Id;
    return {
      ID: id,
      CreatedSince: opts.human ? timeAgo(h.Created * 1000, opts.now ?? Date.now()) : new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      CreatedAt: new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      CreatedBy: opts.trunc ? ellipsis(createdBy, 45) : createdBy,
      Size: opts.human ? humanSize(h.Size, 3) : String(h.Size),
      Comment: h.Comment,
    };
  });
}
