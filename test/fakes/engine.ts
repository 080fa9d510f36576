/**
 * The containers service over fakes, wired as src/daemon/daemon.ts wires the real one: a temp
 * data root with the real SQLite store and EventBus, FakeRuntime, FakeSnapshots, FakeImages,
 * FakeVolumes and (optionally) FakeNetwork. For unit tests of the engine: no root, no runc.
 *
 *   const e = await fakeEngine();
 *   const { Id } = await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'] }, 'c1');
 *   await e.containers.start(Id);
 *   e.runtime.exit(Id, 3);
 *   await e.until(() => e.inspect(Id).State.Status === 'exited');
 *   e.actions(Id)   // ['create', 'start', 'die']
 *   await e.close();
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger, type Logger } from '../../src/common/logger.ts';
import { CleanupJournal } from '../../src/common/cleanups.ts';
import type { NetworkDriver, SandboxProvider } from '../../src/drivers/network/contract.ts';
import { DriverRegistry } from '../../src/common/driver-registry.ts';
import { ContainersService } from '../../src/engine/containers/index.ts';
import { EventBus, type EngineEvent } from '../../src/engine/events/index.ts';
import { openDatabase, type Db } from '../../src/store/db.ts';
import { FakeImages, FakeVolumes } from './images.ts';
import { FakeRuntime } from './runtime.ts';
import { FakeSnapshots } from './snapshot.ts';

export interface FakeEngine {
  dataRoot: string;
  db: Db;
  runtime: FakeRuntime;
  snapshots: FakeSnapshots;
  images: FakeImages;
  volumes: FakeVolumes;
  network?: NetworkDriver & SandboxProvider;
  events: EventBus;
  /** Every event published since the engine was built, in order. */
  log: EngineEvent[];
  containers: ContainersService;
  /** inspect's JSON (State typed enough for assertions). */
  inspect(ref: string): { Id: string; Name: string; RestartCount: number; State: State } & Record<string, unknown>;
  /** The container events of `id` (or all), as their actions. */
  actions(id?: string): string[];
  /** Resolves once `cond()` holds (polls every millisecond; rejects after `ms`). */
  until(cond: () => boolean, ms?: number): Promise<void>;
  /** A second service over the same database, runtime and drivers: a daemon restart. */
  restart(liveRestore?: boolean): Promise<ContainersService>;
  close(): Promise<void>;
}

export interface State {
  Status: string; Running: boolean; Paused: boolean; Restarting: boolean; OOMKilled: boolean; Dead: boolean;
  Pid: number; ExitCode: number; Error: string; StartedAt: string; FinishedAt: string; Health?: unknown;
}

export interface FakeEngineOptions {
  /** The sandbox provider, registered as a network driver under its name too. */
  network?: NetworkDriver & SandboxProvider;
  /** More network drivers (their networks join the provider's sandboxes). */
  networkDrivers?: NetworkDriver[];
  logger?: Logger;
  logOpts?: Record<string, string>;
}

export async function fakeEngine(o: FakeEngineOptions = {}): Promise<FakeEngine> {
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-fake-'));
  const db = openDatabase(path.join(dataRoot, 'metadata.db'));
  const runtime = new FakeRuntime();
  const snapshots = new FakeSnapshots(path.join(dataRoot, 'fake-snapshots'));
  const images = new FakeImages();
  await images.add('busybox:latest', { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, snapshots);
  const volumes = new FakeVolumes(path.join(dataRoot, 'volumes'));
  const events = new EventBus();
  const log: EngineEvent[] = [];
  events.subscribe((e) => log.push(e));
  const logger = o.logger ?? silentLogger;
  const networks = new DriverRegistry<NetworkDriver>('network');
  for (const d of [...(o.network ? [o.network] : []), ...(o.networkDrivers ?? [])]) networks.register(d.name, d);
  const build = () => new ContainersService(db, {
    dataRoot, runtime, snapshots, sandboxes: o.network, networks, volumes, images, events, logger,
    cleanups: new CleanupJournal(undefined, logger), logOpts: o.logOpts,
  });
  const e: FakeEngine = {
    dataRoot, db, runtime, snapshots, images, volumes, network: o.network, events, log,
    containers: build(),
    inspect: (ref) => e.containers.inspect(ref) as ReturnType<FakeEngine['inspect']>,
    actions: (id) => log.filter((x) => x.Type === 'container' && (id === undefined || x.Actor.ID === id)).map((x) => x.Action),
    until: (cond, ms = 2000) => new Promise((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => {
        if (cond()) { resolve(); return; }
        if (Date.now() - t0 > ms) { reject(new Error(`condition not met within ${ms} ms: ${cond.toString()}`)); return; }
        setTimeout(tick, 1);
      };
      tick();
    }),
    restart: async (liveRestore = true) => {
      // The old service's timers and waits die with its "process".
      await quiesce(e.containers);
      runtime.daemonRestarted();
      e.containers = build();
      await e.containers.restore(liveRestore);
      return e.containers;
    },
    close: async () => {
      await quiesce(e.containers);
      for (const id of runtime.procs.keys()) await runtime.delete(id, true).catch(() => undefined);
      db.close();
      fs.rmSync(dataRoot, { recursive: true, force: true });
    },
  };
  return e;
}

/** Ends a service's activity: no more restarts, timers or exit handling (its daemon "died"). */
async function quiesce(svc: ContainersService): Promise<void> {
  const live = [...svc.registry.live.values()];
  for (const l of live) {
    l.stopping = true;
    if (l.restartTimer) clearTimeout(l.restartTimer);
    l.restartTimer = undefined;
    l.stopLogWatch?.();
    svc.registry.health?.stop(l, false);
  }
  await Promise.all(live.map((l) => l.queue));
  svc.registry.live.clear();
  svc.registry.names.clear();
}
