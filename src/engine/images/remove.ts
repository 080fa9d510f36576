/**
 * `docker rmi` with docker's untag-vs-delete rules (daemon/images/image_delete.go):
 * removing by name untags first and deletes only when no reference is left; removing by id
 * deletes, untagging everything when all references are in one repository; running
 * containers and child images are hard conflicts, tags elsewhere and stopped containers soft
 * ones (`force` overrides soft). Also `docker image prune`.
 */
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import { familiarString, parseNormalizedNamed, repoName, withDefaultTag, type Reference } from '../../common/reference.ts';
import { keptByUntil, pruneUntil } from '../../api/types/docker-time.ts';
import { pruneLabelsMatch } from '../../api/types/labels.ts';
import type { ImageGraph } from './graph.ts';

/**
 * Which container uses image `imageId`: with `state` only running or only stopped ones.
 * Returns a container id or undefined.
 */
export type ImageUsage = (imageId: string, state?: 'running' | 'stopped') => string | undefined;

export interface DeleteItem { Untagged?: string; Deleted?: string }

export interface RemoveOptions { force?: boolean; noprune?: boolean }

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

class DeleteConflict extends ConflictError {
  constructor(readonly imageId: string, readonly hard: boolean, readonly used: boolean, detail: string) {
    super(`conflict: unable to delete ${short(imageId)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${detail}`);
  }
}

/** All references within one repository, with at most one tag (docker isSingleReference). */
function isSingleReference(refs: Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: Reference | undefined;
  const names = new Set<string>();
  for (const r of refs) {
    if (r.digest !== undefined) names.add(repoName(r));
    else if (!single) { names.add(repoName(r)); single = r; } else return false;
  }
  single ??= refs[0]!;
  return names.size === 1 && names.has(repoName(single));
}

function checkConflict(g: ImageGraph, id: string, usage: ImageUsage, opts: { children: boolean; running: boolean; refs: boolean; stopped: boolean }): DeleteConflict | undefined {
  if (opts.children && g.images.children(id).length > 0) return new DeleteConflict(id, true, false, 'image has dependent child images');
  if (opts.running) {
    const c = usage(id, 'running');
    if (c) return new DeleteConflict(id, true, true, `image is being used by running container ${short(c)}`);
  }
  if (opts.refs && g.refs.references(id).length > 0) return new DeleteConflict(id, false, false, 'image is referenced in multiple repositories');
  if (opts.stopped) {
    const c = usage(id, 'stopped');
    if (c) return new DeleteConflict(id, false, true, `image is being used by stopped container ${short(c)}`);
  }
  return undefined;
}

function untag(g: ImageGraph, id: string, ref: Reference, records: DeleteItem[]): void {
  if (!g.refs.delete(ref)) throw new NotFoundError(`No such image: ${familiarString(ref)}`);
  records.push({ Untagged: familiarString(ref) });
  g.publish('untag', id);
}

function isIdPrefix(id: string, s: string): boolean {
  const hex = s.startsWith('sha256:') ? s.slice(7) : s;
  return /^[a-f0-9]+$/.test(hex) && id.slice(7).startsWith(hex);
}

export async function removeImage(g: ImageGraph, refOrId: string, opts: RemoveOptions, usage: ImageUsage): Promise<DeleteItem[]> {
  const id = g.lookup(refOrId);
  const records: DeleteItem[] = [];
  let refs = g.refs.references(id);
  let removedRepositoryRef = false;
  if (!isIdPrefix(id, refOrId)) {
    if (!opts.force && isSingleReference(refs)) {
      const c = usage(id);
      if (c) throw new ConflictError(`conflict: unable to remove repository reference "${refOrId}" (must force) - container ${short(c)} is using its referenced image ${short(id)}`);
    }
    let parsed: Reference;
    try {
      parsed = withDefaultTag(parseNormalizedNamed(refOrId));
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    untag(g, id, parsed, records);
    refs = g.refs.references(id);
    if (parsed.digest === undefined && !refs.some((r) => r.digest === undefined && repoName(r) === repoName(parsed))) {
      // Only digest references of this repository remain: remove them too.
      const remaining: Reference[] = [];
      for (const r of refs) {
        if (r.digest !== undefined && repoName(r) === repoName(parsed)) untag(g, id, r, records);
        else remaining.push(r);
      }
      refs = remaining;
    }
    if (refs.length > 0) return records;
    removedRepositoryRef = true;
  } else if (isSingleReference(refs)) {
    const conflict = checkConflict(g, id, usage, { children: true, running: true, refs: false, stopped: !opts.force });
    if (conflict) throw conflict;
    for (const r of refs) untag(g, id, r, records);
  }
  await deleteHelper(g, id, records, !!opts.force, !opts.noprune, removedRepositoryRef, usage);
  return records;
}

async function deleteHelper(g: ImageGraph, id: string, records: DeleteItem[], force: boolean, prune: boolean, quiet: boolean, usage: ImageUsage): Promise<void> {
  const conflict = checkConflict(g, id, usage, { children: true, running: true, refs: !force, stopped: !force });
  if (conflict) {
    const dangling = g.refs.references(id).length === 0;
    if (quiet && (!dangling || conflict.used)) return;
    throw conflict;
  }
  const rec = g.get(id);
  for (const r of g.refs.references(id)) untag(g, id, r, records);
  await g.images.delete(id);
  g.publish('delete', id);
  g.forget(id);
  records.push({ Deleted: id });
  const removed = await g.layers.release(rec.topChainId, (c) => g.images.holdsLayer(c));
  for (const c of removed) records.push({ Deleted: c });
  if (!prune || !rec.parent || !g.images.get(rec.parent)) return;
  await deleteHelper(g, rec.parent, records, false, true, true, usage);
}

export interface PruneReport { ImagesDeleted: DeleteItem[] | null; SpaceReclaimed: number }

export async function pruneImages(g: ImageGraph, filters: Record<string, string[]>, usage: ImageUsage): Promise<PruneReport> {
  for (const k of Object.keys(filters)) if (!['dangling', 'label', 'label!', 'until'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  const d = filters.dangling ?? [];
  let danglingOnly = true;
  if (d.length) {
    if (d.every((v) => /^(true|1)$/i.test(v))) danglingOnly = true;
    else if (d.every((v) => /^(false|0)$/i.test(v))) danglingOnly = false;
    else throw new InvalidArgumentError(`invalid filter 'dangling=${d.join(',')}'`);
  }
  const untilMs = pruneUntil(filters.until);
  const sizes = new Map(g.layers.all().map((l) => [l.chainId, l.size]));
  const candidates = g.images.all().filter((img) => {
    if (danglingOnly && g.images.children(img.id).length > 0) return false;
    if (g.refs.references(img.id).length === 0 && g.images.children(img.id).length > 0) return false;
    if (untilMs !== undefined && keptByUntil(img.created, untilMs)) return false;
    return pruneLabelsMatch(filters, g.configOf(img.id).config?.Labels);
  });
  const deleted: DeleteItem[] = [];
  const attempt = async (name: string) => {
    try {
      deleted.push(...await removeImage(g, name, {}, usage));
    } catch (err) {
      if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
    }
  };
  for (const img of candidates) {
    if (!g.images.get(img.id)) continue;
    const refs = g.refs.references(img.id);
    if (refs.length > 0) {
      const hasTag = refs.some((r) => r.digest === undefined);
      if (danglingOnly && hasTag) continue;
      for (const r of refs) await attempt(familiarString(r));
    } else {
      await attempt(img.id.slice(7));
    }
  }
  let reclaimed = 0;
  for (const item of deleted) if (item.Deleted && sizes.has(item.Deleted)) reclaimed += sizes.get(item.Deleted)!;
  g.events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
