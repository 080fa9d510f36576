/**
 * The streaming server's engine adapter (src/cri/streaming/engine-runtime.ts) on real
 * containers. A wharfd (test helper) imports busybox and starts the containers, then is
 * killed (-9: the containers live on, live-restore); this process then opens the same roots
 * with its own containers service (restored, as a restarted daemon would) and serves the
 * streams from it: exec, attach and port-forward reach real processes and a real netns.
 */
import { DriverRegistry } from '../../src/common/driver-registry.ts';
import { LocalVolumeDriver } from '../../src/drivers/volume/local/driver.ts';
import type { VolumeDriver } from '../../src/drivers/volume/contract.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { openRemoteCommand, readAll, upgrade } from '../helpers/cri-stream-client.ts';
import { SpdySession } from '../../src/cri/streaming/spdy/session.ts';
import { StreamingServer } from '../../src/cri/streaming/index.ts';
import { EngineStreamRuntime } from '../../src/cri/streaming/engine-runtime.ts';
import { createLogger } from '../../src/common/logger.ts';
import { CleanupJournal } from '../../src/common/cleanups.ts';
import { EventBus } from '../../src/engine/events/index.ts';
import { openDatabase } from '../../src/store/db.ts';
import { ContentStore } from '../../src/store/content-store.ts';
import { LayerStore } from '../../src/store/layer-store.ts';
import { ImagesService } from '../../src/engine/images/index.ts';
import { ContainersService } from '../../src/engine/containers/index.ts';
import { VolumesService } from '../../src/engine/volumes/index.ts';
import { Overlay2Driver } from '../../src/drivers/snapshot/overlay2/driver.ts';
import { VfsDriver } from '../../src/drivers/snapshot/vfs/driver.ts';
import { RuncRuntime } from '../../src/drivers/runtime/runc/runtime.ts';

let d: TestDaemon;
let containers: ContainersService;
let server: StreamingServer;
let db: ReturnType<typeof openDatabase>;
const ids: Record<string, string> = {};

before(async () => {
  d = await startDaemon();
  await importBusybox(d);
  const driver = (await d.api('GET', '/info')).json.Driver as string;
  const run = async (name: string, args: string[]) => {
    const r = await d.cli(['run', '-d', '--name', name, ...args]);
    assert.equal(r.code, 0, r.stderr);
    ids[name] = r.stdout.trim();
  };
  await run('pod', ['bb', 'sh', '-c', 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www']);
  await run('att', ['-i', 'bb', 'cat']);
  await d.kill9();

  const logger = createLogger('error');
  const events = new EventBus();
  const cleanups = new CleanupJournal(path.join(d.dataRoot, 'pending-cleanups.json'), logger);
  const snapshots = driver === 'vfs' ? new VfsDriver({ root: path.join(d.dataRoot, 'vfs') }) : new Overlay2Driver({ root: path.join(d.dataRoot, 'overlay2') });
  db = openDatabase(path.join(d.dataRoot, 'metadata.db'));
  const content = new ContentStore(path.join(d.dataRoot, 'content'));
  const layers = new LayerStore(db, content, snapshots);
  const images = new ImagesService({ db, content, layers, events, driver: snapshots });
  const runtime = new RuncRuntime({ execRoot: d.execRoot, onCleanupFailure: () => {} });
  const volumes = new VolumesService({ db, drivers: new DriverRegistry<VolumeDriver>('volume').register('local', new LocalVolumeDriver(path.join(d.dataRoot, 'volumes'))), events, logger });
  containers = new ContainersService(db, {
    dataRoot: d.dataRoot, runtime, snapshots, network: undefined, volumes, images: {
      resolve: (ref: string) => {
        const r = images.resolve(ref);
        return { id: r.id, config: (r.config as { config?: Record<string, unknown> }).config ?? {}, topChainId: r.topChainId ?? undefined, size: r.record.size };
      },
    },
    events, logger, cleanups, noNewPrivileges: false, logOpts: {}, dns: [],
  } as unknown as ConstructorParameters<typeof ContainersService>[1]);
  await containers.restore(true);
  server = new StreamingServer(new EngineStreamRuntime(containers), { address: '127.0.0.1:0' });
  await server.start();
});

after(async () => {
  await server?.stop();
  for (const id of Object.values(ids)) await containers?.remove(id, { force: true, volumes: false, link: false } as never).catch(() => {});
  (db as unknown as { close?: () => void })?.close?.();
  await d?.stop();
});

test('exec in a container: stdout, stderr, exit code', async () => {
  const s = await openRemoteCommand(server.execUrl({ containerId: ids.pod!, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], tty: false, stdin: false, stdout: true, stderr: true }), { stdout: true, stderr: true });
  const r = await s.result();
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const st = JSON.parse(r.error);
  assert.equal(st.reason, 'NonZeroExitCode');
  assert.equal(st.details.causes[0].message, '3');
});

test('exec with stdin, and exec with a tty that the resize stream sizes', async () => {
  const cat = await openRemoteCommand(server.execUrl({ containerId: ids.pod!, cmd: ['cat'], tty: false, stdin: true, stdout: true, stderr: false }), { stdin: true, stdout: true });
  cat.stdin!.end('piped through\n');
  const r = await cat.result();
  assert.equal(r.stdout, 'piped through\n');
  assert.equal(JSON.parse(r.error).status, 'Success');

  const tty = await openRemoteCommand(server.execUrl({ containerId: ids.pod!, cmd: ['sh', '-c', 'sleep 1; stty size'], tty: true, stdin: true, stdout: true, stderr: false }), { stdin: true, stdout: true, tty: true });
  tty.resize!.write(JSON.stringify({ Width: 91, Height: 33 }) + '\n');
  const t = await tty.result();
  assert.equal(t.stdout.trim(), '33 91', JSON.stringify(t));
  assert.equal(JSON.parse(t.error).status, 'Success');
});

test('attach to a running container: stdin in, its output out', async () => {
  const s = await openRemoteCommand(server.attachUrl({ containerId: ids.att!, tty: false, stdin: true, stdout: true, stderr: true }), { stdin: true, stdout: true, stderr: true });
  const first = new Promise<string>((resolve) => s.stdout!.once('data', (c: Buffer) => resolve(c.toString())));
  s.stdin!.write('attached line\n');
  assert.equal(await first, 'attached line\n');
  s.session.destroy(); // the client goes away: detached, the container runs on
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(containers.record(ids.att!).State.Running, true);
});

test('port-forward reaches a port bound to the pod\'s own loopback', async () => {
  const url = server.portForwardUrl({ podSandboxId: ids.pod!, ports: [8080] });
  const up = await upgrade(url, ['portforward.k8s.io']);
  assert.equal(up.status, 101);
  const session = new SpdySession(up.socket!, 'client');
  session.receive(up.head!);
  const err = await session.openStream([['streamType', 'error'], ['port', '8080'], ['requestID', '0']]);
  err.end();
  const data = await session.openStream([['streamType', 'data'], ['port', '8080'], ['requestID', '0']]);
  const body = readAll(data);
  data.write('GET /index.html HTTP/1.0\r\n\r\n');
  assert.match(await body, /hello-from-pod/);
  assert.equal(await readAll(err), '');
  // Nothing listens on 8081 in the pod (the host's 8081 is not the pod's).
  const err2 = await session.openStream([['streamType', 'error'], ['port', '8081'], ['requestID', '1']]);
  err2.end();
  const data2 = await session.openStream([['streamType', 'data'], ['port', '8081'], ['requestID', '1']]);
  data2.resume();
  assert.match(await readAll(err2), /error forwarding port 8081 to pod .*connection refused/);
  session.destroy();
});

test('an exec whose client goes away is killed', async () => {
  const s = await openRemoteCommand(server.execUrl({ containerId: ids.pod!, cmd: ['sh', '-c', 'echo started; exec sleep 77'], tty: false, stdin: false, stdout: true, stderr: true }), { stdout: true, stderr: true });
  await new Promise<void>((resolve) => s.stdout!.once('data', () => resolve()));
  s.session.destroy();
  const ps = async () => {
    const p = await openRemoteCommand(server.execUrl({ containerId: ids.pod!, cmd: ['ps'], tty: false, stdin: false, stdout: true, stderr: true }), { stdout: true, stderr: true });
    return (await p.result()).stdout;
  };
  let out = await ps();
  for (let i = 0; i < 20 && out.includes('sleep 77'); i++) {
    await new Promise((r) => setTimeout(r, 250));
    out = await ps();
  }
  assert.doesNotMatch(out, /sleep 77/);
});
