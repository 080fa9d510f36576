/**
 * `docker rm`: refuse running containers without force; remove snapshot, record, logs, anonymous
 * volumes with -v; `?link=1` removes a legacy link instead; and prune.
 */
import fs from 'node:fs';
import { ConflictError, NotFoundError, isDiskFull } from '../../common/errors.ts';
import { isGone } from '../../common/cleanups.ts';
import type { ContainerRegistry, Live } from './service.ts';
import { cancelRestart, stopLive } from './lifecycle.ts';
import { dropLinksTo, removeLink } from './links.ts';
import { refreshLinkParents } from './networking.ts';
import { containerSizes } from './view.ts';

export interface VolumeRemover { removeAnonymous?(name: string): Promise<void> | void; release?(name: string, containerId: string): void }

export interface RemoveOptions {
  force?: boolean;
  volumes?: boolean;
  /** `ref` is a legacy link name (`parent/alias`) to remove, not a container. */
  link?: boolean;
  /** The "still running" refusal in the wording of docker before API 1.44. */
  legacyMessage?: boolean;
}

/**
 * The 409 for removing a running, paused or restarting container without force. Docker 25
 * (API 1.44) reworded it; clients of older API versions get the wording their daemons used.
 */
function stillRunning(rec: { Id: string; Name: string; State: { Paused: boolean; Restarting: boolean } }, legacyMessage: boolean | undefined): ConflictError {
  const state = rec.State.Paused ? 'paused' : rec.State.Restarting ? 'restarting' : 'running';
  if (legacyMessage) {
    const procedure = state === 'paused' ? 'Unpause and then stop the container before attempting removal or force remove' : 'Stop the container before attempting removal or force remove';
    return new ConflictError(`You cannot remove a ${state} container ${rec.Id}. ${procedure}`);
  }
  if (state === 'paused') return new ConflictError(`cannot remove container "${rec.Name}": container is paused and must be unpaused first`);
  return new ConflictError(`cannot remove container "${rec.Name}": container is ${state}: stop the container before removing or force remove`);
}

export async function removeContainer(reg: ContainerRegistry, ref: string, opts: RemoveOptions): Promise<void> {
  if (opts.link) {
    const parent = removeLink(reg, ref);
    refreshLinkParents(reg, '', [parent]);
    return;
  }
  const l = reg.get(ref);
  const rec = l.rec;
  if (rec.State.Status === 'removing') throw new ConflictError(`removal of container ${rec.Id} is already in progress`);
  // A container waiting for its restart-policy restart counts as running, as in docker.
  if (rec.State.Running && !opts.force) throw stillRunning(rec, opts.legacyMessage);
  if (rec.State.Restarting) cancelRestart(reg, l);
  else if (rec.State.Running) await stopLive(reg, l, 0, undefined, false);
  await reg.serial(l, async () => {
    if (!reg.live.has(rec.Id)) return;
    // Saved first: a daemon killed from here on finishes the removal at its next start
    // (finishRemovals), so no record is left without its snapshot and nothing half-removed stays.
    reg.health?.stop(l, false);
    // On a full disk the mark stays in memory (saveOrKeep): the removal itself frees space.
    const status = l.removing(!!opts.volumes);
    try {
      await removeLocked(reg, l, !!opts.volumes);
    } catch (err) {
      if (reg.live.has(rec.Id)) l.removalFailed(status);
      throw err;
    }
  });
}

/** The removal itself; every step may have been done already by a removal a crash cut short. */
async function removeLocked(reg: ContainerRegistry, l: Live, volumes: boolean): Promise<void> {
  const rec = l.rec;
  const { deps, cleanups } = reg;
  const id = rec.Id;
  // What the container held on the host goes first; a part that cannot go now (a busy mount,
  // an immutable file) is logged and retried at the next daemon start (docs/reliability.md
  // "Failed cleanups"), and the container is removed all the same.
  await cleanups.attempt('runtime-delete', id, () => deps.runtime.delete(id, true));
  if (deps.sandboxes && rec.SandboxKey) await cleanups.attempt('sandbox-destroy', id, () => deps.sandboxes!.destroySandbox(id), isGone);
  await deps.runtime.unmountRootfs(id).catch((err: Error) => { if (!isGone(err)) deps.logger.warn(`rm of ${id}: unmount: ${err.message}`); });
  await deps.snapshots.unmount(id).catch((err: Error) => { if (!(err instanceof NotFoundError) && !isGone(err)) deps.logger.warn(`rm of ${id}: unmount: ${err.message}`); });
  await cleanups.attempt('snapshot-remove', id, () => deps.snapshots.remove(id), (err) => err instanceof NotFoundError || isGone(err));
  deps.images.releaseLayers?.(id);
  const dir = reg.containerDir(id);
  // Off the event loop: the directory (logs, config) is no longer the API's.
  await cleanups.attempt('remove-path', dir, () => fs.promises.rm(dir, { recursive: true, force: true }));
  // Out of the registry (volumes count their users there), then the volumes, then the row
  // last: until the row is gone a restart finishes this removal, `rm -v` volumes included.
  // On a full disk the directory above (the container's logs) freed what SQLite needs here.
  reg.untrack(rec.Id);
  const vols = deps.volumes as (typeof deps.volumes & VolumeRemover) | undefined;
  for (const m of rec.MountPoints) {
    if (m.Type !== 'volume' || !m.Name) continue;
    try {
      vols?.release?.(m.Name, rec.Id);
      if (volumes && m.Anonymous) await vols?.removeAnonymous?.(m.Name);
    } catch (err) {
      deps.logger.warn(`volume ${m.Name} of removed container ${rec.Id}: ${(err as Error).message}`);
    }
  }
  reg.store.remove(rec.Id);
  refreshLinkParents(reg, rec.Id, dropLinksTo(reg, rec.Id));
  deps.events.publish('container', 'destroy', rec.Id, { image: rec.Config.Image, name: rec.Name.slice(1), ...rec.Config.Labels });
  // Every wait ends with the removal (moby's State.Wait also selects on waitRemove): a
  // `next-exit` waiter of a container removed without running would otherwise hang.
  for (const w of l.exitWaiters.splice(0)) w(rec.State.ExitCode);
  for (const w of l.removeWaiters.splice(0)) w();
}

/**
 * Daemon start, after live-restore: finishes removals a killed daemon cut short, removes the
 * job containers (build steps) it left, then container snapshots and directories that have
 * no record (a create or rm cut short).
 */
export async function finishRemovals(reg: ContainerRegistry): Promise<void> {
  for (const l of [...reg.live.values()]) {
    const rec = l.rec;
    if (!rec.Removing && !rec.Job) continue;
    const volumes = rec.Job ? true : rec.Removing!.volumes;
    if (rec.Removing) l.removalResumed();
    await removeContainer(reg, rec.Id, { force: true, volumes })
      .catch((err: Error) => reg.deps.logger.warn(`finishing the removal of ${rec.Id}: ${err.message}`));
  }
  const { snapshots } = reg.deps;
  for (const key of snapshots.list().snapshots) {
    if (key.startsWith('build-') || reg.live.has(key)) continue;
    await snapshots.unmount(key).catch(() => undefined);
    await snapshots.remove(key).catch((err: Error) => reg.deps.logger.warn(`orphan snapshot ${key}: ${err.message}`));
    reg.deps.images.releaseLayers?.(key);
  }
  let dirs: string[] = [];
  try { dirs = fs.readdirSync(reg.containerDir('.')); } catch { /* none yet */ }
  for (const id of dirs) {
    if (!/^[0-9a-f]{64}$/.test(id) || reg.live.has(id)) continue;
    // One that cannot go (an immutable file) is logged and retried at the next start, never fatal.
    const dir = reg.containerDir(id);
    reg.cleanups.attemptSync('remove-path', dir, () => fs.rmSync(dir, { recursive: true, force: true }));
  }
}

/** Removes the stopped containers `keep` selects; SpaceReclaimed is what they had written (their SizeRw). */
export async function pruneContainers(reg: ContainerRegistry, keep: (id: string) => boolean): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  const deleted: string[] = [];
  let reclaimed = 0;
  const candidates = [...reg.live.values()].filter((l) => !l.rec.State.Running && !l.rec.State.Restarting && keep(l.rec.Id));
  // On a full disk a removal may fail before a later one frees space: those are tried once more.
  for (const round of [0, 1]) {
    const full: typeof candidates = [];
    for (const l of candidates) {
      if (!reg.live.has(l.rec.Id)) continue;
      const size = containerSizes(reg, l.rec).SizeRw;
      try {
        await removeContainer(reg, l.rec.Id, {});
      } catch (e) {
        if (round === 0 && isDiskFull(e)) full.push(l);
        else reg.deps.logger.warn(`failed to prune container ${l.rec.Id}: ${(e as Error).message}`);
        continue;
      }
      deleted.push(l.rec.Id);
      reclaimed += size;
    }
    if (!full.length) break;
    candidates.splice(0, candidates.length, ...full);
  }
  reg.deps.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
