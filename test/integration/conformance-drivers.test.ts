/**
 * Drivers by name and the daemon.json keys that did nothing (issue #17), through a real daemon:
 * unknown network/volume/runtime names get docker's errors, the runtime mounts the root from the
 * snapshot's Mount[] (inspect MergedDir is that mount while it runs), and `labels`,
 * `dns-search`, `default-shm-size` and `default-runtime` do what docker's do.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startDaemon } from '../helpers/daemon.ts';
import { startNetDaemon, type NetHarness } from './networking-harness.ts';

let h: NetHarness;
before(async () => { h = await startNetDaemon(['--dns-search', 'wharf-s17.test', '--default-shm-size', '96m', '--label', 'tier=s17']); });
after(async () => { await h?.close(); });

const mounted = (p: string) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

test('network create -d with an unregistered driver: 404 plugin "X" not found; bridge by name works', async () => {
  const r = await h.d.api('POST', '/networks/create', { Name: 's17-nosuch', Driver: 'nosuch' });
  assert.equal(r.status, 404);
  assert.equal(r.json.message, 'plugin "nosuch" not found');
  const c = await h.d.api('POST', '/networks/create', { Name: 's17-br', Driver: 'bridge' });
  assert.equal(c.status, 201, c.body);
  assert.equal((await h.d.api('GET', '/networks/s17-br')).json.Driver, 'bridge');
  assert.equal((await h.d.api('DELETE', '/networks/s17-br')).status, 204);
});

test('volume create -d with an unregistered driver: 404; local by name works', async () => {
  const r = await h.d.api('POST', '/volumes/create', { Name: 's17-v', Driver: 'nosuch' });
  assert.equal(r.status, 404);
  assert.equal(r.json.message, 'create s17-v: error looking up volume plugin nosuch: plugin "nosuch" not found');
  const c = await h.d.api('POST', '/volumes/create', { Name: 's17-v', Driver: 'local' });
  assert.equal(c.status, 201, c.body);
  assert.equal(c.json.Driver, 'local');
  assert.equal((await h.d.api('DELETE', '/volumes/s17-v')).status, 204);
});

test('an unregistered runtime: 400 Unknown runtime specified X; none given is the default runtime', async () => {
  const r = await h.d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Runtime: 'nosuch' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.message, 'Unknown runtime specified nosuch');
  const c = await h.d.api('POST', '/containers/create?name=s17-rt', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(c.status, 201, c.body);
  assert.equal((await h.d.api('GET', '/containers/s17-rt/json')).json.HostConfig.Runtime, 'runc');
  await h.ok(['rm', 's17-rt']);
});

test('the runtime mounts the root from the snapshot\'s Mount[]: MergedDir is mounted while running, not after', async () => {
  await h.ok(['run', '-d', '--name', 's17-root', 'busybox', 'sleep', '300']);
  const merged = JSON.parse(await h.ok(['inspect', 's17-root']))[0].GraphDriver.Data.MergedDir as string;
  assert.ok(merged.startsWith(h.d.execRoot), `the runtime's place, under the exec root: ${merged}`);
  assert.equal(mounted(merged), true);
  assert.equal(await h.ok(['exec', 's17-root', 'cat', '/etc/hostname']) !== '', true);
  await h.ok(['rm', '-f', 's17-root']);
  assert.equal(mounted(merged), false, 'unmounted with the container');
  assert.equal(fs.existsSync(merged), false, 'its directory gone');
});

test('a container holds its image\'s layer chain in the layer store from create to rm (LayerStore mounts)', async () => {
  const id = await h.ok(['create', '--name', 's17-hold', 'busybox', 'true']);
  const rows = () => {
    const db = new Database(path.join(h.d.dataRoot, 'metadata.db'), { readonly: true });
    try { return db.prepare('SELECT chain_id FROM layer_mounts WHERE key = ?').all(id) as { chain_id: string | null }[]; } finally { db.close(); }
  };
  const held = rows();
  assert.equal(held.length, 1);
  assert.match(held[0]!.chain_id ?? '', /^sha256:/);
  await h.ok(['rm', 's17-hold']);
  assert.deepEqual(rows(), []);
});

test('daemon.json labels are info Labels', async () => {
  assert.deepEqual((await h.d.api('GET', '/info')).json.Labels, ['tier=s17']);
});

test('dns-search: containers that give none get the daemon\'s; --dns-search wins', async () => {
  assert.match(await h.ok(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']), /^search wharf-s17\.test$/m);
  const own = await h.ok(['run', '--rm', '--dns-search', 'own.test', 'busybox', 'cat', '/etc/resolv.conf']);
  assert.match(own, /^search own\.test$/m);
  assert.doesNotMatch(own, /wharf-s17/);
});

test('default-shm-size: /dev/shm of containers that give no --shm-size; --shm-size wins', async () => {
  await h.ok(['create', '--name', 's17-shm', 'busybox', 'df', '-k', '/dev/shm']);
  assert.equal(JSON.parse(await h.ok(['inspect', 's17-shm']))[0].HostConfig.ShmSize, 96 * 1024 * 1024);
  await h.ok(['rm', 's17-shm']);
  assert.match(await h.ok(['run', '--rm', 'busybox', 'df', '-k', '/dev/shm']), /\s98304\s/);
  assert.match(await h.ok(['run', '--rm', '--shm-size', '8m', 'busybox', 'df', '-k', '/dev/shm']), /\s8192\s/);
});

test('a default-runtime that is not registered stops the start with docker\'s message', async () => {
  await assert.rejects(startDaemon({ args: ['--default-runtime', 'nosuch'] }), /specified default runtime 'nosuch' does not exist/);
});

test('userland-proxy: true is refused at start with why', async () => {
  const dir = fs.mkdtempSync('/tmp/wharf-s17-');
  fs.writeFileSync(`${dir}/daemon.json`, JSON.stringify({ 'userland-proxy': true }));
  await assert.rejects(startDaemon({ configFile: `${dir}/daemon.json` }), /userland-proxy: true is not supported/);
  fs.rmSync(dir, { recursive: true, force: true });
});
