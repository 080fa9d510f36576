/**
 * The composition root: constructs every implementation explicitly (drivers, stores,
 * services), wires services to routers, opens the listeners and handles signals.
 * Nothing else in the tree chooses an implementation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createLogger, type Logger } from '../common/logger.ts';
import { CleanupJournal, isGone, removePathWithin } from '../common/cleanups.ts';
import { DriverRegistry } from '../common/driver-registry.ts';
import { InvalidArgumentError, NotFoundError } from '../common/errors.ts';
import { parseBytes } from '../common/human.ts';
import { createApiServer } from '../api/server/server.ts';
import { listen, type Listener } from '../api/server/listeners.ts';
import type { Route } from '../api/server/context.ts';
import { systemRoutes } from '../api/routers/system/routes.ts';
import { EventBus } from '../engine/events/index.ts';
import { SystemService, type InfoSources } from '../engine/system/index.ts';
import { checkLogDriver } from '../engine/containers/log-config.ts';
import { logLimits } from '../engine/containers/log-rotation.ts';
import { validateLogOpts } from '../engine/containers/validate.ts';
import { ConfigError, reloadConfig, type DaemonConfig } from './config.ts';
import { configureProxyEnv } from './proxy-env.ts';
import { createTransferShared, proxyFromEnv } from '../registry/client/index.ts';
import { monotonicUsec, sdNotifier } from './sd-notify.ts';
import { openDatabase } from '../store/db.ts';
import { ContentStore } from '../store/content-store.ts';
import { LayerStore } from '../store/layer-store.ts';
import { ImagesService } from '../engine/images/index.ts';
import { ContainersService } from '../engine/containers/index.ts';
import { ContainerTools } from '../engine/containers/tools/index.ts';
import { containerRoutes } from '../api/routers/containers/routes.ts';
import { imageRoutes } from '../api/routers/images/routes.ts';
import { DistributionService } from '../engine/distribution/index.ts';
import { distributionRoutes } from '../api/routers/distribution/routes.ts';
import { VolumesService } from '../engine/volumes/index.ts';
import { volumeRoutes } from '../api/routers/volumes/routes.ts';
import { networkRoutes } from '../api/routers/networks/routes.ts';
import { swarmRoutes } from '../api/routers/swarm/routes.ts';
import { NetworksService } from '../engine/networks/index.ts';
import { Overlay2Driver } from '../drivers/snapshot/overlay2/driver.ts';
import { VfsDriver } from '../drivers/snapshot/vfs/driver.ts';
import type { SnapshotDriver } from '../drivers/snapshot/contract.ts';
import { RuncRuntime } from '../drivers/runtime/runc/runtime.ts';
import type { RuntimeDriver } from '../drivers/runtime/contract.ts';
import { BridgeNetworkDriver } from '../drivers/network/bridge/driver.ts';
import type { NetworkDriver, SandboxProvider } from '../drivers/network/contract.ts';
import { LocalVolumeDriver } from '../drivers/volume/local/driver.ts';
import type { VolumeDriver } from '../drivers/volume/contract.ts';
import { DataRootLock } from './lock.ts';
import { hostDevices } from './host-devices.ts';
import { BuildService } from '../engine/build/index.ts';
import { buildRoutes } from '../api/routers/build/routes.ts';
import { startCri, CniNetwork, EngineStreamRuntime, StreamingServer, type CriDeps, type DockerStatsJson } from '../cri/index.ts';

export interface RunningDaemon {
  config: DaemonConfig;
  listeners: Listener[];
  stop(): Promise<void>;
}

function prepareRoots(cfg: DaemonConfig): void {
  fs.mkdirSync(cfg.dataRoot, { recursive: true, mode: 0o710 });
  fs.chmodSync(cfg.dataRoot, 0o710);
  fs.mkdirSync(cfg.execRoot, { recursive: true, mode: 0o700 });
  fs.chmodSync(cfg.execRoot, 0o700);
}

function daemonId(dataRoot: string): string {
  const file = path.join(dataRoot, 'engine-id');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomUUID();
    fs.writeFileSync(file + '.tmp', id);
    fs.renameSync(file + '.tmp', file);
    return id;
  }
}

function groupId(name: string): number | undefined {
  try {
    const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith(name + ':'));
    return line ? Number(line.split(':')[2]) : undefined;
  } catch {
    return undefined;
  }
}

export async function startDaemon(cfg: DaemonConfig): Promise<RunningDaemon> {
  const logger: Logger = createLogger(cfg.logLevel);
  configureProxyEnv(cfg, logger);
  prepareRoots(cfg);
  const lock = DataRootLock.acquire(cfg.dataRoot);
  try {
    return await wire(cfg, logger, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function wire(cfg: DaemonConfig, logger: Logger, lock: DataRootLock): Promise<RunningDaemon> {
  // First, before any child (conmon, runc) could inherit $NOTIFY_SOCKET.
  const notify = sdNotifier(process.env, (msg) => logger.warn(msg));
  const events = new EventBus();
  const warnings: string[] = [];

  // Cleanups that failed (busy mounts, immutable files, …): logged, kept here, replayed below.
  const cleanups = new CleanupJournal(path.join(cfg.dataRoot, 'pending-cleanups.json'), logger);

  // Drivers by name. A new implementation of a kind is one line here (docs/ARCHITECTURE.md).
  // Snapshot drivers are factories: only the one `storage-driver` names is made (it owns a dir).
  const snapshotDrivers = new DriverRegistry<SnapshotDriver>('storage', (n) => new ConfigError(`error initializing graphdriver: driver not supported: ${n}`))
    .registerFactory('overlay2', () => new Overlay2Driver({ root: path.join(cfg.dataRoot, 'overlay2') }))
    .registerFactory('vfs', () => new VfsDriver({ root: path.join(cfg.dataRoot, 'vfs') }));
  const runtimes = new DriverRegistry<RuntimeDriver>('runtime', (n) => new InvalidArgumentError(`Unknown runtime specified ${n}`))
    .register('runc', new RuncRuntime({ execRoot: cfg.execRoot, onCleanupFailure: (kind, id, err) => cleanups.fail(kind, id, err) }));
  const volumeDrivers = new DriverRegistry<VolumeDriver>('volume', (n) => new NotFoundError(`error looking up volume plugin ${n}: plugin "${n}" not found`))
    .register('local', new LocalVolumeDriver(path.join(cfg.dataRoot, 'volumes')));
  // Network drivers: filled below with those whose init() worked (an unknown -d NAME is docker's 404).
  const networkDrivers = new DriverRegistry<NetworkDriver>('network', (n) => new NotFoundError(`plugin "${n}" not found`));

  // Storage: snapshot driver, metadata database, content and layer stores.
  const snapshots = snapshotDrivers.get(cfg.storageDriver);
  for (const t of snapshots.tempLeftovers ?? []) cleanups.fail('remove-path', t.path, new Error(t.error));
  const db = openDatabase(path.join(cfg.dataRoot, 'metadata.db'));
  const content = new ContentStore(path.join(cfg.dataRoot, 'content'));
  const layers = new LayerStore(db, content, snapshots);
  const images = new ImagesService({ db, content, layers, events, driver: snapshots });

  // daemon.json `log-driver`/`log-opts`: checked as a container's would be; a bad default stops the start.
  // (journald's availability is checked per container: the journal may come up later.)
  if (cfg.logDriver !== 'journald') checkLogDriver(cfg.logDriver);
  validateLogOpts(cfg.logDriver, cfg.logOpts);
  if (cfg.logDriver !== 'none') logLimits(cfg.logOpts);

  // Execution: runtime (runc + conmon) and networking (bridge + iptables).
  const runtime = runtimes.find(cfg.defaultRuntime);
  if (!runtime) throw new ConfigError(`specified default runtime '${cfg.defaultRuntime}' does not exist`);
  const rtVersion = await runtime.version().catch((err: Error) => { warnings.push(`runtime unavailable: ${err.message}`); return undefined; });
  for (const w of rtVersion?.warnings ?? []) { warnings.push(w); logger.warn(w); }
  // Network drivers by name, each made and init()ed here; one whose init fails is left out and
  // its `network create -d` answered 501 with why. A second driver (macvlan, ipvlan) is a new
  // folder src/drivers/network/<name>/ implementing NetworkDriver (contract.ts; its conformance
  // suite is test/drivers/network-contract.ts; its connect joins the bridge's sandbox netns,
  // `opts.nsPath`) plus one line in this table, e.g.
  //   macvlan: () => new MacvlanNetworkDriver({ stateDir: path.join(cfg.dataRoot, 'network', 'macvlan'), logger }),
  let bridge: BridgeNetworkDriver | undefined;
  const networkFactories: Record<string, () => NetworkDriver> = {
    ...(cfg.iptables ? {
      bridge: () => bridge = new BridgeNetworkDriver({
        stateDir: path.join(cfg.dataRoot, 'network'), execRoot: cfg.execRoot, bip: cfg.bip, bridgeName: cfg.bridge, logger, ipForward: cfg.ipForward,
        chainPrefix: cfg.bridge === 'wharf0' ? undefined : cfg.bridge.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 10),
      }),
    } : {}),
  };
  const networkUnavailable: Record<string, string> = {};
  for (const [name, make] of Object.entries(networkFactories)) {
    try {
      const driver = make();
      await driver.init();
      networkDrivers.register(name, driver);
    } catch (err) {
      const msg = `${name} networking unavailable${name === 'bridge' ? ', containers get --network none' : ''}: ${(err as Error).message}`;
      warnings.push(msg);
      logger.warn(msg);
      networkUnavailable[name] = `${name} networking is not available in this daemon: ${(err as Error).message}`;
    }
  }
  if (!networkDrivers.has('bridge')) networkUnavailable.bridge = 'bridge networking is not available in this daemon (started with --iptables=false or without a usable bridge)';
  // Containers' sandboxes (netns, ports, /etc files) come from the bridge driver; each network's
  // endpoints from the driver that owns it.
  const sandboxes: SandboxProvider | undefined = networkDrivers.has('bridge') ? bridge : undefined;

  const volumes = new VolumesService({ db, drivers: volumeDrivers, events, logger });
  const containers = new ContainersService(db, {
    dataRoot: cfg.dataRoot, runtime, snapshots, sandboxes, networks: networkDrivers, volumes, images: {
      resolve: (ref: string) => {
        const r = images.resolve(ref);
        return { id: r.id, config: (r.config as { config?: Record<string, unknown> }).config ?? {}, topChainId: r.topChainId ?? undefined, size: r.record.size };
      },
      holdLayers: (key, chainId) => layers.addMount(key, chainId ?? null),
      releaseLayers: (key) => layers.removeMount(key),
    },
    events, logger, cleanups, noNewPrivileges: cfg.noNewPrivileges, logDriver: cfg.logDriver, logOpts: cfg.logOpts, dns: cfg.dns, cdiSpecDirs: cfg.cdiSpecDirs,
    dnsSearch: cfg.dnsSearch, defaultRuntime: cfg.defaultRuntime, runtimes, defaultShmSize: cfg.defaultShmSize === undefined ? undefined : parseBytes(cfg.defaultShmSize),
  });
  images.setUsage((imageId: string) => containers.containerUsingImage(imageId));
  volumes.setUsage((name: string) => containers.list({ all: true, size: false, filters: { volume: [name] } }).map((c) => String(c.Id)));

  await images.reconcile();
  for (const network of networkDrivers.instances()) {
    const live = containers.liveIds();
    await network.restore(live).catch((err: Error) => logger.warn(`network restore (${network.name}): ${err.message}`));
    await network.cleanupOrphans(live).catch((err: Error) => logger.warn(`network cleanup (${network.name}): ${err.message}`));
  }
  await containers.restore(cfg.liveRestore);
  const running = new Set(containers.liveIds());
  await replayCleanups(cleanups, { runtime, snapshots, sandboxes, roots: [cfg.dataRoot, cfg.execRoot], exists: (id) => containers.has(id), running: (id) => running.has(id) });

  const sources: InfoSources = {
    containerCounts: () => containers.counts(),
    imageCount: () => images.count(),
    storageDriver: () => ({ name: snapshots.name, status: snapshots.status() }),
    registry: () => ({ mirrors: cfg.registryMirrors, insecureRegistries: cfg.insecureRegistries }),
    runtimes: () => ({ default: cfg.defaultRuntime, names: runtimes.names() }),
    labels: () => cfg.labels,
    warnings: () => warnings,
    debug: () => cfg.debug,
    liveRestore: () => cfg.liveRestore,
    devices: () => hostDevices(cfg.cdiSpecDirs),
    diskUsage: {
      images: (containersOf, shape) => images.diskUsage(containersOf, shape),
      containers: () => containers.list({ all: true, size: true, filters: {} }),
      containerImageIds: () => containers.list({ all: true, size: false, filters: {} }).map((c) => String(c.ImageID)),
      volumes: () => volumes.diskUsage(),
      // The classic builder keeps no cache of its own (its cache is the images).
      buildCache: () => [],
    },
  };
  const daemonIdValue = daemonId(cfg.dataRoot);
  const system = new SystemService({ events, sources, dataRoot: cfg.dataRoot, daemonId: daemonIdValue, loggingDriver: cfg.logDriver });

  // max-concurrent-downloads/uploads: one cap for the whole daemon (the API's pulls and the CRI's), changed by a reload.
  const transfers = createTransferShared(cfg.maxConcurrentDownloads, cfg.maxConcurrentUploads);
  const distribution = new DistributionService({ images, db, logger, shared: transfers, registryConfig: () => ({ mirrors: cfg.registryMirrors, insecureRegistries: cfg.insecureRegistries, proxy: proxyFromEnv() }) });
  const tools = new ContainerTools({ containers, images, snapshots, runtime, events });
  const builds = new BuildService({ images, containers, snapshots, dataRoot: cfg.dataRoot, logger, pull: (ref, auth, progress) => distribution.pull({ fromImage: ref, auth, progress }) });
  // What killed builds left (work dirs, `build-*` snapshots) is gone before the API serves.
  await builds.ready;
  const routes: Route[] = [
    ...systemRoutes(system),
    ...containerRoutes(containers, tools, containers.execs),
    ...imageRoutes(Object.assign(images, distribution.imageHooks())),
    ...distributionRoutes(distribution),
    ...volumeRoutes(volumes),
    ...networkRoutes(new NetworksService({ drivers: networkDrivers, unavailable: networkUnavailable, containers, events, logger })),
    ...swarmRoutes(),
    ...buildRoutes(builds),
  ];
  const server = createApiServer({ routes, logger, experimental: cfg.experimental });

  const group = groupId(cfg.group);
  const listeners: Listener[] = [];
  try {
    for (const host of cfg.hosts) {
      const tls = cfg.tls ? { ca: cfg.tlsCaCert ?? '', cert: cfg.tlsCert!, key: cfg.tlsKey!, verify: cfg.tlsVerify } : undefined;
      const l = await listen(server, { address: host, tls, insecureTcp: cfg.insecureTcp, group });
      if (host.startsWith('tcp://') && !tls) logger.warn(`API listening on ${l.address} without TLS: anyone who reaches it controls this host`);
      logger.info(`API listen on ${l.address}`);
      listeners.push(l);
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }

  let cri: Awaited<ReturnType<typeof startCri>> | undefined;
  let streaming: StreamingServer | undefined;
  if (cfg.cri) {
    // Exec/Attach/PortForward answer URLs of this server (SPDY and WebSocket, as kubelet's remotecommand expects).
    streaming = new StreamingServer(new EngineStreamRuntime(containers), { address: cfg.criStreamingAddress });
    try {
      await streaming.start();
    } catch (err) {
      await Promise.all(listeners.map((l) => l.close()));
      throw new Error(`CRI streaming server on ${cfg.criStreamingAddress}: ${(err as Error).message}`);
    }
    logger.info(`CRI streaming server on ${streaming.url}`);
    // The CRI pulls with its own per-registry mirrors (containerd's registry.mirrors), on the same image store.
    const criDistribution = new DistributionService({ images, db, logger, shared: transfers, registryConfig: () => ({ mirrors: cfg.registryMirrors, insecureRegistries: cfg.insecureRegistries, proxy: proxyFromEnv(), hostMirrors: cfg.criRegistryMirrors }) });
    const criDeps: CriDeps = {
      containers, images, events, logger,
      pull: (ref, auth) => criDistribution.pull({ fromImage: ref, auth: auth as Record<string, unknown> | undefined, progress: () => undefined }),
      stats: async (id) => {
        let text = '';
        await tools.stats(id, false, true, { write: (b) => { text += String(b); return true; } }, new AbortController().signal);
        return text ? JSON.parse(text.split('\n')[0]!) as DockerStatsJson : undefined;
      },
      update: async (id, body) => { await tools.update(id, body); },
      imageFsPath: path.join(cfg.dataRoot, snapshots.name),
      runtimeName: 'wharf',
      runtimeVersion: '0.1.0',
      runtimeReady: () => (rtVersion ? { ok: true } : { ok: false, reason: 'runc is not available' }),
      bridgeReady: () => sandboxes !== undefined,
      cgroupDriver: 'cgroupfs',
      streaming,
      cni: new CniNetwork({ confDir: cfg.cniConfDir, binDirs: cfg.cniBinDir.split(':').filter(Boolean), stateDir: path.join(cfg.execRoot, 'cni') }),
    };
    try {
      cri = await startCri(criDeps, { socket: cfg.criSocket });
      logger.info(`CRI listen on ${cri.address}`);
    } catch (err) {
      await Promise.all(listeners.map((l) => l.close()));
      await streaming.stop();
      throw err;
    }
  }

  fs.mkdirSync(path.dirname(cfg.pidfile), { recursive: true });
  fs.writeFileSync(cfg.pidfile, String(process.pid));

  const onHup = () => {
    notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`);
    try {
      const changed = reloadConfig(cfg);
      logger.level = cfg.logLevel;
      transfers.downloadLimit.setLimit(cfg.maxConcurrentDownloads);
      transfers.uploadLimit.setLimit(cfg.maxConcurrentUploads);
      logger.info('Reloaded configuration', { changed: changed.join(',') });
      events.publish('daemon', 'reload', daemonIdValue, { name: hostname() });
    } catch (err) {
      logger.error(`Error reloading configuration: ${(err as Error).message}`);
    }
    notify('READY=1');
  };
  process.on('SIGHUP', onHup);

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    notify('STOPPING=1');
    process.off('SIGHUP', onHup);
    await Promise.all(listeners.map((l) => l.close()));
    await cri?.close().catch((err: Error) => logger.warn(`CRI shutdown: ${err.message}`));
    await streaming?.stop().catch((err: Error) => logger.warn(`CRI streaming server shutdown: ${err.message}`));
    server.closeAllConnections();
    for (const network of networkDrivers.instances()) await network.close().catch((err: Error) => logger.warn(`network shutdown (${network.name}): ${err.message}`));
    db.close();
    try { fs.rmSync(cfg.pidfile, { force: true }); } catch (err) { logger.warn(`cannot remove the pidfile ${cfg.pidfile}: ${(err as Error).message}`); }
    lock.release();
  })());
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info(`Processing signal '${sig}'`);
    setTimeout(() => process.exit(0), 5000).unref();
    void stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  logger.info('Daemon has completed initialization');
  notify('READY=1');
  return { config: cfg, listeners, stop };
}

/**
 * Replays the cleanups that failed before (docs/reliability.md "Failed cleanups"). An entry that
 * would harm a container is dropped unrun: a snapshot removal of a container that exists, a
 * runtime delete, unmount or sandbox teardown of one that runs (it was restarted since).
 * `remove-path` stays inside the roots.
 */
async function replayCleanups(
  cleanups: CleanupJournal,
  o: { runtime: RuntimeDriver; snapshots: SnapshotDriver; sandboxes: SandboxProvider | undefined; roots: string[]; exists: (id: string) => boolean; running: (id: string) => boolean },
): Promise<void> {
  if (cleanups.pending().length === 0) return;
  const gone = (fn: () => Promise<unknown>) => async () => { try { await fn(); } catch (err) { if (!isGone(err)) throw err; } };
  await cleanups.replay({
    'runtime-delete': (id) => gone(() => o.runtime.delete(id, true))(),
    'sandbox-destroy': (id) => {
      if (!o.sandboxes) throw new Error('bridge networking is off: the sandbox cannot be torn down now');
      return gone(() => o.sandboxes!.destroySandbox(id))();
    },
    'snapshot-unmount': (key) => gone(() => o.snapshots.unmount(key))(),
    'rootfs-unmount': (id) => gone(() => o.runtime.unmountRootfs(id))(),
    'snapshot-remove': (key) => gone(() => o.snapshots.remove(key))(),
    'remove-path': removePathWithin(o.roots),
  }, (e) => (e.kind === 'snapshot-remove' ? o.exists(e.target) : e.kind !== 'remove-path' && o.running(e.target)));
}
