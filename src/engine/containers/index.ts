/**
 * The containers service (engine): one object the API's containers and exec routers call.
 * State lives in ContainerRegistry (SQLite + memory); operations are split by concern:
 * service.ts (records), lifecycle.ts (running), io.ts (attach/logs), exec.ts, view.ts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConflictError, InvalidArgumentError } from '../../common/errors.ts';
import { keptByUntil, pruneUntil } from '../../api/types/docker-time.ts';
import { pruneLabelsMatch } from '../../api/types/labels.ts';
import type { Db } from '../../store/db.ts';
import type { ContainersDeps } from './deps.ts';
import { ContainerRegistry, createContainer, renameContainer, waitContainer } from './service.ts';
import { killContainer, pauseContainer, restartContainer, restoreContainers, startContainer, stopContainer, unpauseContainer } from './lifecycle.ts';
import { finishRemovals, removeContainer, pruneContainers, type RemoveOptions } from './remove.ts';
import { inspectContainer, listContainers, type ListOptions } from './view.ts';
import { checkReadable } from './log-config.ts';
import { attachContainer, streamLogs, type AttachOptions, type ClientStream } from './io.ts';
import { ExecManager } from './exec.ts';
import { HealthMonitors } from './health.ts';
import type { ContainerRecord } from './record.ts';
import { containerCgroupDirs, detectCgroupLayout } from '../../common/cgroups.ts';
import { runToCompletion, type RunJobOptions } from './run-job.ts';
import { connectContainer, containersInMode, disconnectContainer, networkAttachments, type AttachRequest } from './networking.ts';

export type { ContainersDeps, ImageResolver, ResolvedImage } from './deps.ts';
export type { VolumeProvider } from './mounts.ts';
export type { ClientStream } from './io.ts';
export type { ContainerRecord, EndpointRecord } from './record.ts';
export type { AttachRequest } from './networking.ts';
export { endpointRequest } from './validate.ts';
export type { RunJobOptions } from './run-job.ts';

const run = promisify(execFile);

export class ContainersService {
  readonly registry: ContainerRegistry;
  readonly execs: ExecManager;

  constructor(db: Db, readonly deps: ContainersDeps) {
    this.registry = new ContainerRegistry(db, deps);
    this.execs = new ExecManager(this.registry);
    this.registry.health = new HealthMonitors(this.execs);
  }

  /**
   * Daemon start: live-restore running containers, apply restart policies; then finish the
   * removals and remove the job containers (build steps) a killed daemon left behind.
   */
  async restore(liveRestore: boolean): Promise<void> {
    await restoreContainers(this.registry, liveRestore);
    await finishRemovals(this.registry);
  }

  /** Whether a container with this full id exists (any state). */
  has(id: string): boolean {
    return this.registry.live.has(id);
  }


  /**
   * Containers whose network the driver keeps at daemon start. One waiting for its policy's
   * restart (`Restarting`, counted as running) is not: a restart the kill cut short may have
   * left a sandbox, which must go before the container starts again.
   */
  liveIds(): string[] {
    return [...this.registry.live.values()].filter((l) => l.rec.State.Running && !l.rec.State.Restarting).map((l) => l.rec.Id);
  }

  /** `logPath`: where conmon writes the k8s-file log instead of the container's directory (the CRI's log_path). */
  create(body: unknown, name: string | null, opts: { logPath?: string } = {}) { return createContainer(this.registry, body, name, opts); }
  start(ref: string) { return startContainer(this.registry, ref); }
  stop(ref: string, timeout?: number, signal?: string | null) { return stopContainer(this.registry, ref, timeout, signal); }
  restart(ref: string, timeout?: number, signal?: string | null) { return restartContainer(this.registry, ref, timeout, signal); }
  kill(ref: string, signal: string | null) { return killContainer(this.registry, ref, signal); }
  remove(ref: string, opts: RemoveOptions) { return removeContainer(this.registry, ref, opts); }
  wait(ref: string, condition: string | null) { return waitContainer(this.registry, ref, condition); }
  rename(ref: string, name: string) { return renameContainer(this.registry, ref, name); }
  /** `forCommit`: a pause of commit's own, undone at the next start if the daemon dies first. */
  pause(ref: string, opts: { forCommit?: boolean } = {}) { return pauseContainer(this.registry, ref, opts); }
  unpause(ref: string) { return unpauseContainer(this.registry, ref); }
  list(o: ListOptions) { return listContainers(this.registry, o); }
  inspect(ref: string, size = false) { return inspectContainer(this.registry, ref, size); }
  attach(ref: string, client: ClientStream, o: AttachOptions) { return attachContainer(this.registry, ref, client, o); }
  logs(...args: Parameters<typeof streamLogs> extends [unknown, ...infer R] ? R : never) { return streamLogs(this.registry, ...args); }
  checkLogsReadable(ref: string): void { checkReadable(this.registry.get(ref).rec.HostConfig.LogConfig); }
  /** `POST /containers/prune`: filters `until`, `label`, `label!` (docker's; others are refused before anything goes). */
  prune(filters: Record<string, string[]>) {
    for (const k of Object.keys(filters)) if (!['until', 'label', 'label!'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    const cutoff = pruneUntil(filters.until);
    return pruneContainers(this.registry, (id) => {
      const rec = this.registry.live.get(id)!.rec;
      if (cutoff !== undefined && keptByUntil(rec.Created, cutoff)) return false;
      return pruneLabelsMatch(filters, rec.Config.Labels);
    });
  }
  counts() { return this.registry.counts(); }
  containerUsingImage(imageId: string) { return this.registry.containerUsingImage(imageId); }
  record(ref: string): ContainerRecord { return this.registry.get(ref).rec; }
  /** The builder's RUN: create + start + stream output + wait; the stopped container is left for commit. */
  runToCompletion(o: RunJobOptions) { return runToCompletion(this.registry, o); }
  /** A job container the caller keeps (`build --rm=false`, a failed step): an ordinary container from now on. */
  keepJob(id: string): void {
    const l = this.registry.get(id);
    if (!l.rec.Job) return;
    delete l.rec.Job;
    // A full disk must not hide the step's own failure: the mark is saved with the next write.
    this.registry.saveOrKeep(l, 'that a build kept it');
  }

  // For the networks service (`network connect/disconnect/inspect`), see networking.ts.
  connectNetwork(ref: string, network: string, o: AttachRequest) { return connectContainer(this.registry, ref, network, o); }
  disconnectNetwork(ref: string, network: string, force: boolean) { return disconnectContainer(this.registry, ref, network, force); }
  networkAttachments(networkId: string) { return networkAttachments(this.registry, networkId); }
  containersInMode(mode: string) { return containersInMode(this.registry, mode); }

  /** The log was moved away (the CRI's ReopenContainerLog): conmon opens a new file at LogPath. */
  async reopenLog(ref: string): Promise<void> {
    const l = this.registry.get(ref);
    if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    await this.deps.runtime.reopenLog(l.rec.Id);
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    const l = this.registry.get(ref);
    if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    await this.deps.runtime.resize(l.rec.Id, h, w);
  }

  /** `docker top`: ps on the host, filtered to the container's processes (host PIDs). */
  async top(ref: string, psArgs: string | null): Promise<{ Titles: string[]; Processes: string[][] }> {
    const l = this.registry.get(ref);
    if (!l.rec.State.Running) throw new ConflictError(`Container ${l.rec.Id} is not running`);
    const pids = await containerPids(l.rec);
    const args = (psArgs || '-ef').split(/\s+/).filter(Boolean);
    let out: string;
    try {
      out = (await run('ps', args, { maxBuffer: 16 << 20 })).stdout;
    } catch (err) {
      throw new InvalidArgumentError(`ps: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
    const lines = out.split('\n').filter((x) => x.trim());
    const titles = lines[0]!.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw new InvalidArgumentError('Couldn\'t find PID field in ps output');
    const procs: string[][] = [];
    for (const line of lines.slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (!pids.has(Number(fields[pidCol]))) continue;
      const row = fields.slice(0, titles.length - 1);
      row.push(fields.slice(titles.length - 1).join(' '));
      procs.push(row);
    }
    return { Titles: titles, Processes: procs };
  }
}

/** PIDs in the container's cgroup (pids controller on v1, the unified dir on v2). */
export async function containerPids(rec: ContainerRecord): Promise<Set<number>> {
  const { readFileSync, existsSync } = await import('node:fs');
  const d = containerCgroupDirs(detectCgroupLayout(), rec.Id, rec.HostConfig.CgroupParent);
  for (const dir of d.version === 2 ? [d.dir] : [d.dirs.pids, d.dirs.memory]) {
    const procs = dir && `${dir}/cgroup.procs`;
    if (!procs || !existsSync(procs)) continue;
    return new Set(readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number));
  }
  return new Set(rec.State.Pid ? [rec.State.Pid] : []);
}
