/**
 * The volume API and `volume` commands against a real daemon: create/inspect/ls/rm/prune with
 * docker's shapes, filters and messages, the in-use refusal, events, persistence across a
 * daemon restart, and the mount policy of SECURITY-CHECKS 16 (bad Binds and volume names).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { cliFor, importVolumeImages } from './volumes-fixtures.ts';

let d: TestDaemon;
let dk: Awaited<ReturnType<typeof cliFor>>;
before(async () => {
  d = await startDaemon();
  await importVolumeImages(d);
  dk = await cliFor(d);
});
after(async () => { await d?.stop(); });

const names = async (q = '') => ((await d.api('GET', `/volumes${q}`)).json.Volumes as { Name: string }[]).map((v) => v.Name).sort();
const filters = (f: Record<string, string[]>) => `?filters=${encodeURIComponent(JSON.stringify(f))}`;

test('create and inspect: docker\'s Volume object, Mountpoint under the data root, idempotent', async () => {
  const r = await d.api('POST', '/volumes/create', { Name: 'v-inspect', Labels: { team: 'a' }, DriverOpts: {} });
  assert.equal(r.status, 201, r.body);
  assert.deepEqual(Object.keys(r.json).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.equal(r.json.Name, 'v-inspect');
  assert.equal(r.json.Driver, 'local');
  assert.equal(r.json.Scope, 'local');
  assert.deepEqual(r.json.Labels, { team: 'a' });
  assert.equal(r.json.Mountpoint, path.join(d.dataRoot, 'volumes', 'v-inspect', '_data'));
  assert.match(r.json.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(fs.statSync(r.json.Mountpoint).isDirectory());
  const i = await d.api('GET', '/volumes/v-inspect');
  assert.equal(i.status, 200);
  assert.deepEqual(i.json, r.json);
  const again = await d.api('POST', '/volumes/create', { Name: 'v-inspect' });
  assert.equal(again.json.CreatedAt, r.json.CreatedAt);
  const anon = await d.api('POST', '/volumes/create', {});
  assert.match(anon.json.Name, /^[0-9a-f]{64}$/);
  assert.equal((await d.api('DELETE', `/volumes/${anon.json.Name}`)).status, 204);
  const missing = await d.api('GET', '/volumes/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.message, 'get nope: no such volume');
});

test('bad names, drivers and options: docker\'s status and message, nothing created', async () => {
  const before = await names();
  const cases: [unknown, number, RegExp][] = [
    [{ Name: 'a/../b' }, 400, /create a\/\.\.\/b: "a\/\.\.\/b" includes invalid characters for a local volume name/],
    [{ Name: 'x' }, 400, /includes invalid characters/],
    [{ Name: '.hidden' }, 400, /includes invalid characters/],
    [{ Name: 'v-drv', Driver: 'nosuch' }, 404, /error looking up volume plugin nosuch: plugin "nosuch" not found/],
    [{ Name: 'v-opt', DriverOpts: { foo: 'bar' } }, 400, /invalid option: "foo"/],
    [{ Name: 'v-opt2', DriverOpts: { type: 'tmpfs' } }, 400, /missing required option: "device"/],
  ];
  for (const [body, status, msg] of cases) {
    const r = await d.api('POST', '/volumes/create', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.match(r.json.message, msg);
  }
  assert.deepEqual(await names(), before);
  assert.ok(!fs.existsSync(path.join(d.dataRoot, 'volumes', 'a')));
  assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'volumes')).sort(), before);
});

test('SECURITY-CHECKS 16: Binds ["/:/"] and a volume named a/../b are 400 at create', async () => {
  const count = (await d.api('GET', '/containers/json?all=1')).json.length;
  const root = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: ['/:/'] } });
  assert.equal(root.status, 400, root.body);
  assert.match(root.json.message, /destination can't be '\/'/);
  const dots = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: ['a/../b:/data'] } });
  assert.equal(dots.status, 400, dots.body);
  assert.match(dots.json.message, /includes invalid characters for a local volume name/);
  const mount = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { Mounts: [{ Type: 'volume', Source: 'a/../b', Target: '/data' }] } });
  assert.equal(mount.status, 400, mount.body);
  assert.equal((await d.api('GET', '/containers/json?all=1')).json.length, count);
  assert.ok(!(await names()).some((n) => n.includes('..')));
});

test('ls filters: name, label, driver, dangling; bad filters are 400', async () => {
  for (const n of ['f-one', 'f-two']) await d.api('POST', '/volumes/create', { Name: n, Labels: n === 'f-one' ? { tier: 'gold', solo: '' } : { tier: 'tin' } });
  assert.deepEqual(await names(filters({ name: ['f-'] })), ['f-one', 'f-two']);
  assert.deepEqual(await names(filters({ label: ['tier=gold'] })), ['f-one']);
  assert.deepEqual(await names(filters({ label: ['tier'], name: ['f-'] })), ['f-one', 'f-two']);
  assert.deepEqual(await names(filters({ label: ['solo'] })), ['f-one']);
  assert.deepEqual(await names(filters({ driver: ['local'], name: ['f-t'] })), ['f-two']);
  const c = await d.api('POST', '/containers/create?name=f-user', { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: ['f-one:/data'] } });
  assert.equal(c.status, 201, c.body);
  assert.ok(!(await names(filters({ dangling: ['true'] }))).includes('f-one'));
  assert.ok((await names(filters({ dangling: ['true'] }))).includes('f-two'));
  assert.deepEqual((await names(filters({ dangling: ['false'] }))), ['f-one']);
  const bad = await d.api('GET', `/volumes${filters({ bogus: ['1'] })}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, "invalid filter 'bogus'");
  assert.equal((await d.api('GET', `/volumes${filters({ dangling: ['maybe'] })}`)).status, 400);
  const q = await d.cli(['volume', 'ls', '-q', '-f', 'name=f-']);
  assert.equal(q.stdout, 'f-one\nf-two\n');
  const fmt = await d.cli(['volume', 'ls', '-f', 'label=tier=tin', '--format', '{{.Name}} {{.Driver}}']);
  assert.equal(fmt.stdout, 'f-two local\n');
  assert.equal((await d.api('DELETE', '/containers/f-user')).status, 204);
});

test('rm: in use is 409 with docker\'s message (force too); missing is 404, or 204 with force', async () => {
  await d.api('POST', '/volumes/create', { Name: 'busy' });
  const c = await d.api('POST', '/containers/create?name=busy-user', { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: ['busy:/data'] } });
  for (const q of ['', '?force=1']) {
    const r = await d.api('DELETE', `/volumes/busy${q}`);
    assert.equal(r.status, 409);
    assert.equal(r.json.message, `remove busy: volume is in use - [${c.json.Id}]`);
  }
  const cli = await d.cli(['volume', 'rm', 'busy']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /volume is in use/);
  assert.equal((await d.api('DELETE', '/containers/busy-user')).status, 204);
  const mp = path.join(d.dataRoot, 'volumes', 'busy');
  assert.ok(fs.existsSync(mp));
  assert.equal((await d.api('DELETE', '/volumes/busy')).status, 204);
  assert.ok(!fs.existsSync(mp));
  const gone = await d.api('DELETE', '/volumes/busy');
  assert.equal(gone.status, 404);
  assert.equal(gone.json.message, 'get busy: no such volume');
  assert.equal((await d.api('DELETE', '/volumes/busy?force=true')).status, 204);
});

test('prune: only anonymous volumes unless all=true; volumes in use stay', async () => {
  await d.api('POST', '/volumes/create', { Name: 'p-named' });
  await d.api('POST', '/volumes/create', { Name: 'p-anon', Labels: { 'com.docker.volume.anonymous': '' } });
  await d.api('POST', '/volumes/create', { Name: 'p-used' });
  await d.api('POST', '/containers/create?name=p-user', { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: ['p-used:/data'] } });
  fs.writeFileSync(path.join(d.dataRoot, 'volumes', 'p-anon', '_data', 'f'), 'x'.repeat(100));
  const r = await d.api('POST', `/volumes/prune${filters({ label: ['com.docker.volume.anonymous'] })}`);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json.VolumesDeleted, ['p-anon']);
  assert.equal(r.json.SpaceReclaimed, 100);
  assert.ok((await names()).includes('p-named'));
  const all = await d.api('POST', `/volumes/prune${filters({ all: ['true'], name: [] })}`);
  assert.equal(all.status, 400, 'name is not a prune filter');
  const all2 = await d.api('POST', `/volumes/prune${filters({ all: ['true'] })}`);
  assert.ok(all2.json.VolumesDeleted.includes('p-named'));
  assert.ok(!all2.json.VolumesDeleted.includes('p-used'));
  assert.ok((await names()).includes('p-used'));
  assert.equal((await d.api('DELETE', '/containers/p-user')).status, 204);
  assert.equal((await d.api('DELETE', '/volumes/p-used')).status, 204);
});

test('events: volume create and destroy', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await d.api('POST', '/volumes/create', { Name: 'ev-vol' });
  await d.api('DELETE', '/volumes/ev-vol');
  const until = Math.ceil(Date.now() / 1000) + 1;
  const r = await d.api('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: ['volume'], volume: ['ev-vol'] }))}`);
  const evs = r.body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } });
  assert.deepEqual(evs.map((e) => e.Action), ['create', 'destroy']);
  assert.equal(evs[0]!.Actor.Attributes.driver, 'local');
});

test('docker CLI: volume create/ls/inspect/rm; data and metadata survive a daemon restart', async () => {
  const c = await dk(['volume', 'create', '--label', 'k=v', '--opt', 'type=none', '--opt', 'device=/tmp', '--opt', 'o=bind', 'cli-vol']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout, 'cli-vol\n');
  const ls = await dk(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}', '-f', 'name=cli-vol']);
  assert.equal(ls.stdout, 'local cli-vol\n');
  const i = await dk(['volume', 'inspect', 'cli-vol']);
  assert.equal(i.code, 0, i.stderr);
  const v = JSON.parse(i.stdout)[0];
  assert.deepEqual(v.Labels, { k: 'v' });
  assert.deepEqual(v.Options, { type: 'none', device: '/tmp', o: 'bind' });
  const f = await dk(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'cli-vol']);
  assert.equal(f.stdout.trim(), path.join(d.dataRoot, 'volumes', 'cli-vol', '_data'));
  await d.api('POST', '/volumes/create', { Name: 'persist' });
  fs.writeFileSync(path.join(d.dataRoot, 'volumes', 'persist', '_data', 'kept'), 'yes');
  await d.restart();
  const after = await d.api('GET', '/volumes/persist');
  assert.equal(after.status, 200);
  assert.equal(fs.readFileSync(path.join(after.json.Mountpoint, 'kept'), 'utf8'), 'yes');
  assert.deepEqual((await d.api('GET', '/volumes/cli-vol')).json.Labels, { k: 'v' });
  const rm = await dk(['volume', 'rm', 'cli-vol', 'persist']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, 'cli-vol\npersist\n');
  const rm2 = await dk(['volume', 'rm', 'cli-vol']);
  assert.notEqual(rm2.code, 0);
  assert.match(rm2.stderr, /no such volume/);
});
