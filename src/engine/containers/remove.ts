/** `docker rm`: refuse running containers without force; remove snapshot, record, logs, anonymous volumes with -v; and prune. */
import fs from 'node:fs';
import { ConflictError } from '../../common/errors.ts';
import type { ContainerRegistry } from './service.ts';
import { stopLive } from './lifecycle.ts';

export interface VolumeRemover { removeAnonymous?(name: string): Promise<void> | void; release?(name: string, containerId: string): void }

export async function removeContainer(reg: ContainerRegistry, ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
  const l = reg.get(ref);
  const rec = l.rec;
  if (rec.State.Status === 'removing') throw new ConflictError(`removal of container ${rec.Id} is already in progress`);
  if (rec.State.Running && !rec.State.Restarting && !opts.force) {
    if (rec.State.Paused) throw new ConflictError(`cannot remove container "${rec.Name}": container is paused and must be unpaused first`);
    throw new ConflictError(`cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`);
  }
  if (l.restartTimer) { clearTimeout(l.restartTimer); l.restartTimer = undefined; }
  if (rec.State.Running && !rec.State.Restarting) await stopLive(reg, l, 0);
  await reg.serial(l, async () => {
    if (!reg.live.has(rec.Id)) return;
    rec.State.Status = 'removing';
    reg.health?.stop(l, false);
    const { deps } = reg;
    await deps.runtime.delete(rec.Id, true).catch(() => undefined);
    if (deps.network && rec.SandboxKey) await deps.network.destroySandbox(rec.Id).catch(() => undefined);
    await deps.snapshots.unmount(rec.Id).catch(() => undefined);
    await deps.snapshots.remove(rec.Id);
    reg.store.remove(rec.Id);
    reg.untrack(rec.Id);
    fs.rmSync(reg.containerDir(rec.Id), { recursive: true, force: true });
    const vols = deps.volumes as (typeof deps.volumes & VolumeRemover) | undefined;
    for (const m of rec.MountPoints) {
      if (m.Type !== 'volume' || !m.Name) continue;
      vols?.release?.(m.Name, rec.Id);
      if (opts.volumes && m.Anonymous) await Promise.resolve(vols?.removeAnonymous?.(m.Name)).catch(() => undefined);
    }
    deps.events.publish('container', 'destroy', rec.Id, { image: rec.Config.Image, name: rec.Name.slice(1), ...rec.Config.Labels });
    for (const w of l.removeWaiters.splice(0)) w();
  });
}

export async function pruneContainers(reg: ContainerRegistry, keep: (id: string) => boolean): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
  const deleted: string[] = [];
  for (const l of [...reg.live.values()]) {
    if (l.rec.State.Running || l.rec.State.Restarting || !keep(l.rec.Id)) continue;
    await removeContainer(reg, l.rec.Id, {});
    deleted.push(l.rec.Id);
  }
  reg.deps.events.publish('container', 'prune', '', { reclaimed: '0' });
  return { ContainersDeleted: deleted, SpaceReclaimed: 0 };
}
