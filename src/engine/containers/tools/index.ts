/**
 * Container tools: stats, archive (cp), changes (diff), export, update and commit — the
 * optional part of the containers API (`ContainerToolsBackend`, implemented structurally).
 * Constructed by the composition root next to the containers service:
 *
 *   const tools = new ContainerTools({ containers, images, snapshots, runtime, events });
 *   containerRoutes(containers, tools, containers.execs);
 *
 * A stopped container's snapshot is mounted for the duration of a cp/export (serialised with
 * start/stop through the container's queue, refcounted, unmounted again unless it started
 * meanwhile), and so are its volumes for cp (moby daemon/archive.go mounts them too: a copy
 * into a created container's volume is there at its start); a running one's are already. Paths resolve in the container's view:
 * rootfs + MountPoints + the /etc/hostname|hosts|resolv.conf files (path-resolve.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConflictError, NotFoundError } from '../../../common/errors.ts';
import { isGone } from '../../../common/cleanups.ts';
import { resolveUser } from '../../../oci/index.ts';
import { tarStream } from '../../../common/tar/index.ts';
import type { RuntimeDriver } from '../../../drivers/runtime/contract.ts';
import type { SnapshotDriver } from '../../../drivers/snapshot/contract.ts';
import type { CreateImageOptions } from '../../images/index.ts';
import type { EventBus } from '../../events/index.ts';
import type { ContainersService } from '../index.ts';
import type { Live } from '../service.ts';
import { prepareVolumes, releaseVolumes } from '../volume-use.ts';
import { archiveGet, archivePut, statPath, type PathStat } from './archive.ts';
import { readCgroupSample } from './cgroups.ts';
import { containerCgroupDirs, detectCgroupLayout } from '../../../common/cgroups.ts';
import { commitOptions, type CommitQuery } from './commit.ts';
import { withoutEnginePaths } from './changes.ts';
import { walkEntries } from './fs-walk.ts';
import { ContainerFs, type FsMount } from './path-resolve.ts';
import { streamStats, type StatsWriter } from './stats.ts';
import { applyToCgroup, planUpdate } from './update.ts';

export { ContainerFs, type FsMount, type ResolvedPath } from './path-resolve.ts';
export type { PathStat } from './archive.ts';
export type { CommitQuery } from './commit.ts';

/** What commit needs from the images service. */
export interface CommitImages {
  /** Returns the new image id (`sha256:…`). */
  createImage(opts: CreateImageOptions): Promise<string>;
}

export interface ContainerToolsDeps {
  containers: ContainersService;
  images: CommitImages;
  snapshots: SnapshotDriver;
  runtime: RuntimeDriver;
  events: EventBus;
}

export class ContainerTools {
  readonly #d: ContainerToolsDeps;
  readonly #mountRefs = new Map<string, number>();
  readonly #volumeRefs = new Map<string, number>();

  constructor(deps: ContainerToolsDeps) {
    this.#d = deps;
  }

  get #reg() {
    return this.#d.containers.registry;
  }

  #attrs(l: Live, extra: Record<string, string> = {}): Record<string, string> {
    return { image: l.rec.Config.Image, name: l.rec.Name.slice(1), ...l.rec.Config.Labels, ...extra };
  }

  /** The container's filesystem view over a mounted rootfs. */
  #fsOf(l: Live, root: string): ContainerFs {
    const rec = l.rec;
    const mounts: FsMount[] = rec.MountPoints
      .filter((m) => m.Type !== 'tmpfs' && m.Source)
      .map((m) => ({ destination: m.Destination, source: m.Source, readOnly: !m.RW }));
    const dir = this.#reg.containerDir(rec.Id);
    for (const f of ['hostname', 'hosts', 'resolv.conf']) {
      const src = path.join(dir, f);
      if (!mounts.some((m) => m.destination === `/etc/${f}`) && fs.existsSync(src)) {
        mounts.push({ destination: `/etc/${f}`, source: src, readOnly: rec.HostConfig.ReadonlyRootfs });
      }
    }
    return new ContainerFs(root, mounts);
  }

  /**
   * Runs `fn` with the container's rootfs mounted (mounting a stopped one for the duration);
   * `volumes`: its volumes too (created, filled from the image when empty, as a start does).
   */
  async #withRootfs<T>(ref: string, fn: (root: string, l: Live) => Promise<T>, volumes = false): Promise<T> {
    const l = this.#reg.get(ref);
    const id = l.rec.Id;
    // The rootfs is where the runtime mounts it from the snapshot's Mount[] (a start shares it).
    const mountRootfs = () => this.#d.runtime.mountRootfs(id, this.#d.snapshots.mounts(id));
    if (l.rec.State.Running) return fn(await mountRootfs(), l);
    const root = await this.#reg.serial(l, async () => {
      const r = await mountRootfs();
      this.#mountRefs.set(id, (this.#mountRefs.get(id) ?? 0) + 1);
      if (volumes) {
        const n = this.#volumeRefs.get(id) ?? 0;
        try {
          prepareVolumes(this.#reg, l.rec, r);
        } catch (err) {
          if (n === 0) releaseVolumes(this.#reg, l.rec);
          await this.#releaseRootfs(l);
          throw err;
        }
        this.#volumeRefs.set(id, n + 1);
        this.#reg.save(l);
      }
      return r;
    });
    try {
      return await fn(root, l);
    } finally {
      await this.#reg.serial(l, async () => {
        if (volumes) {
          const n = (this.#volumeRefs.get(id) ?? 1) - 1;
          if (n > 0) this.#volumeRefs.set(id, n);
          else {
            this.#volumeRefs.delete(id);
            if (!l.rec.State.Running && this.#reg.live.has(id)) releaseVolumes(this.#reg, l.rec);
          }
        }
        await this.#releaseRootfs(l);
      });
    }
  }

  /** Drops one use of a stopped container's rootfs mount (called inside its queue). */
  async #releaseRootfs(l: Live): Promise<void> {
    const id = l.rec.Id;
    const n = (this.#mountRefs.get(id) ?? 1) - 1;
    if (n > 0) { this.#mountRefs.set(id, n); return; }
    this.#mountRefs.delete(id);
    if (!l.rec.State.Running && this.#reg.live.has(id)) await this.#reg.cleanups.attempt('rootfs-unmount', id, () => this.#d.runtime.unmountRootfs(id), isGone);
  }

  async stats(ref: string, stream: boolean, oneShot: boolean, out: StatsWriter, signal: AbortSignal): Promise<void> {
    const l = this.#reg.get(ref);
    const id = l.rec.Id;
    await streamStats({
      id, name: l.rec.Name,
      netPid: () => (l.rec.State.Running && l.rec.HostConfig.NetworkMode !== 'host' ? l.rec.State.Pid : 0),
      sample: () => (l.rec.State.Running ? readCgroupSample(containerCgroupDirs(detectCgroupLayout(), id, l.rec.HostConfig.CgroupParent)) : undefined),
    }, stream, oneShot, out, signal);
  }

  async changes(ref: string): Promise<{ Path: string; Kind: number }[]> {
    const l = this.#reg.get(ref);
    return withoutEnginePaths(await this.#d.snapshots.changes(l.rec.Id));
  }

  async exportRootfs(ref: string, out: NodeJS.WritableStream): Promise<void> {
    await this.#withRootfs(ref, async (root, l) => {
      const cfs = new ContainerFs(root, []);
      await pipeline(Readable.from(tarStream(walkEntries(cfs, '/', ''))), out);
      this.#d.events.publish('container', 'export', l.rec.Id, this.#attrs(l));
    });
  }

  async update(ref: string, body: unknown): Promise<{ Warnings: string[] }> {
    const l = this.#reg.get(ref);
    return this.#reg.serial(l, async () => {
      const { next, changed } = planUpdate(l.rec.HostConfig, body);
      if (l.rec.State.Running) applyToCgroup(containerCgroupDirs(detectCgroupLayout(), l.rec.Id, l.rec.HostConfig.CgroupParent), next, changed);
      l.rec.HostConfig = next;
      this.#reg.save(l);
      this.#d.events.publish('container', 'update', l.rec.Id, this.#attrs(l));
      return { Warnings: [] };
    });
  }

  async archiveStat(ref: string, p: string): Promise<PathStat & Record<string, unknown>> {
    return this.#withRootfs(ref, async (root, l) => ({ ...statPath(this.#fsOf(l, root), p, ref) }), true);
  }

  async archiveGet(ref: string, p: string, out: NodeJS.WritableStream): Promise<Record<string, unknown>> {
    return this.#withRootfs(ref, async (root, l) => {
      const cfs = this.#fsOf(l, root);
      const st = statPath(cfs, p, ref);
      await archiveGet(cfs, p, ref, out);
      this.#d.events.publish('container', 'archive-path', l.rec.Id, this.#attrs(l));
      return { ...st };
    }, true);
  }

  async archivePut(ref: string, p: string, body: NodeJS.ReadableStream, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    await this.#withRootfs(ref, async (root, l) => {
      const cfs = this.#fsOf(l, root);
      let chown: { uid: number; gid: number } | undefined;
      if (opts.copyUIDGID && l.rec.Config.User) {
        const u = resolveUser(root, l.rec.Config.User);
        chown = { uid: u.uid, gid: u.gid };
      }
      await archivePut(cfs, p, ref, body as AsyncIterable<Buffer>, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, chown, readonlyRootfs: l.rec.HostConfig.ReadonlyRootfs });
      this.#d.events.publish('container', 'extract-to-dir', l.rec.Id, this.#attrs(l));
    }, true);
  }

  async commit(ref: string, q: CommitQuery, config: unknown): Promise<{ Id: string }> {
    const l = this.#reg.get(ref);
    const id = l.rec.Id;
    const opts = commitOptions(l.rec, q, config);
    const pause = q.pause && l.rec.State.Running && !l.rec.State.Paused && await this.#pauseForCommit(id);
    try {
      let imageId = await this.#d.images.createImage({ ...opts, layer: this.#d.snapshots.diff(id) });
      if (!imageId.startsWith('sha256:')) imageId = `sha256:${imageId}`;
      // docker's order: pause, commit, unpause
      this.#d.events.publish('container', 'commit', id, this.#attrs(l, { comment: q.comment ?? '', imageID: imageId, imageRef: opts.tag ?? '' }));
      return { Id: imageId };
    } finally {
      if (pause) await this.#d.containers.unpause(id).catch((e: Error) => this.#reg.deps.logger.warn(`unpause after commit of container ${id}: ${e.message}`));
    }
  }

  /**
   * Pauses a running container for a commit, as `docker pause` does (state, `pause` event; the
   * commit unpauses it after). A process that exits (or gets paused) between the state check
   * and the freeze writes nothing more, so the commit goes on unfrozen: false.
   */
  async #pauseForCommit(id: string): Promise<boolean> {
    try {
      await this.#d.containers.pause(id, { forCommit: true });
      return true;
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof ConflictError) return false;
      throw err;
    }
  }
}
