/**
 * `docker ps` filters and `container prune` of the real ContainersService over fake drivers
 * (test/fakes): status, exited, label, name, id, ancestor, before/since, limit, and which
 * containers prune takes (with label/label!/until), its events and SpaceReclaimed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fakeEngine, type FakeEngine } from '../fakes/engine.ts';

const tick = () => new Promise((r) => setTimeout(r, 2));

describe('ps filters', () => {
  let e: FakeEngine;
  const ids: Record<string, string> = {};
  const ps = (filters: Record<string, string[]>, all = true, limit?: number) =>
    e.containers.list({ all, size: false, filters, limit }).map((c) => (c.Names as string[])[0]!.slice(1));

  before(async () => {
    e = await fakeEngine();
    await e.images.add('alpine:3', { Cmd: ['sh'] }, e.snapshots);
    // Oldest first; Created differs by at least a millisecond.
    const make = async (name: string, body: Record<string, unknown> = {}) => {
      ids[name] = (await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ...body }, name)).Id;
      await tick();
    };
    await make('created', { Labels: { tier: 'db' } });
    await make('running', { Labels: { tier: 'web', env: 'prod' } });
    await make('paused', { Image: 'alpine:3', Labels: { tier: 'web', env: 'dev' } });
    await make('exited0');
    await make('exited3', { Image: 'alpine:3' });
    await make('web-2', { Labels: { tier: 'web' } });
    for (const n of ['running', 'paused', 'exited0', 'exited3', 'web-2']) await e.containers.start(ids[n]!);
    await e.containers.pause(ids.paused!);
    e.runtime.exit(ids.exited0!, 0);
    e.runtime.exit(ids.exited3!, 3);
    await e.until(() => e.inspect('exited0').State.Status === 'exited' && e.inspect('exited3').State.Status === 'exited');
  });
  after(async () => { await e.close(); });

  test('without all: running and paused only, newest first; with all: every one', () => {
    assert.deepEqual(ps({}, false), ['web-2', 'paused', 'running']);
    assert.deepEqual(ps({}), ['web-2', 'exited3', 'exited0', 'paused', 'running', 'created']);
  });

  test('the State and Status columns', () => {
    const rows = new Map(e.containers.list({ all: true, size: false, filters: {} }).map((c) => [(c.Names as string[])[0], c]));
    assert.equal(rows.get('/paused')!.State, 'paused');
    assert.match(String(rows.get('/paused')!.Status), /^Up .* \(Paused\)$/);
    assert.equal(rows.get('/created')!.Status, 'Created');
    assert.match(String(rows.get('/exited3')!.Status), /^Exited \(3\) .* ago$/);
    assert.equal(rows.get('/running')!.Command, 'sleep 100');
  });

  test('status (implies all)', () => {
    assert.deepEqual(ps({ status: ['exited'] }, false), ['exited3', 'exited0']);
    assert.deepEqual(ps({ status: ['created'] }), ['created']);
    assert.deepEqual(ps({ status: ['paused'] }), ['paused']);
    assert.deepEqual(ps({ status: ['running'] }), ['web-2', 'running']);
    assert.deepEqual(ps({ status: ['running', 'paused'] }), ['web-2', 'paused', 'running']);
    assert.throws(() => ps({ status: ['bogus'] }), { status: 400, message: /^invalid filter 'status=bogus'$/i });
  });

  test('exited (implies all)', () => {
    assert.deepEqual(ps({ exited: ['3'] }, false), ['exited3']);
    assert.deepEqual(ps({ exited: ['0'] }), ['exited0']);
    assert.deepEqual(ps({ exited: ['0', '3'] }), ['exited3', 'exited0']);
    assert.deepEqual(ps({ exited: ['1'] }), []);
    assert.throws(() => ps({ exited: ['x'] }), { status: 400, message: 'strconv.Atoi: parsing "x": invalid syntax' });
  });

  test('label: key, key=value, several are ANDed', () => {
    assert.deepEqual(ps({ label: ['tier'] }), ['web-2', 'paused', 'running', 'created']);
    assert.deepEqual(ps({ label: ['tier=web'] }), ['web-2', 'paused', 'running']);
    assert.deepEqual(ps({ label: ['tier=web', 'env=prod'] }), ['running']);
    assert.deepEqual(ps({ label: ['env'] }, false), ['paused', 'running']);
    assert.deepEqual(ps({ label: ['nope'] }), []);
  });

  test('name: a regular expression on the name, with or without /', () => {
    assert.deepEqual(ps({ name: ['exited'] }), ['exited3', 'exited0']);
    assert.deepEqual(ps({ name: ['^web-\\d$'] }), ['web-2']);
    assert.deepEqual(ps({ name: ['/running'] }), ['running']);
    assert.deepEqual(ps({ name: ['['] }), [], 'an invalid pattern matches nothing');
  });

  test('id: prefixes', () => {
    assert.deepEqual(ps({ id: [ids.created!.slice(0, 10)] }), ['created']);
    assert.deepEqual(ps({ id: [ids.created!, ids.running!] }), ['running', 'created']);
  });

  test('ancestor: image name, full id, short id', () => {
    const alpine = e.images.resolve('alpine:3').id;
    assert.deepEqual(ps({ ancestor: ['alpine:3'] }), ['exited3', 'paused']);
    assert.deepEqual(ps({ ancestor: [alpine] }), ['exited3', 'paused']);
    assert.deepEqual(ps({ ancestor: [alpine.slice(7, 19)] }), ['exited3', 'paused']);
    assert.deepEqual(ps({ ancestor: ['busybox'] }), ['web-2', 'exited0', 'running', 'created']);
  });

  test('before and since, by name or id', () => {
    assert.deepEqual(ps({ before: ['paused'] }), ['running', 'created']);
    assert.deepEqual(ps({ since: ['exited0'] }), ['web-2', 'exited3']);
    assert.deepEqual(ps({ since: [ids.running!], before: ['exited3'] }), ['exited0', 'paused']);
    // `since`/`before` imply all only through the other flags: without them, running ones only.
    assert.deepEqual(ps({ since: ['running'] }, false), ['web-2', 'paused']);
  });

  test('before/since a container that does not exist: 404 (docker 20.10 answers 500 "no such container x")', () => {
    assert.throws(() => ps({ before: ['nosuch'] }), { status: 404, message: 'No such container: nosuch' });
    assert.throws(() => ps({ since: ['nosuch'] }), { status: 404, message: 'No such container: nosuch' });
  });

  test('limit: the newest N of all', () => {
    assert.deepEqual(ps({}, false, 2), ['web-2', 'exited3']);
    assert.deepEqual(ps({ label: ['tier'] }, false, 1), ['web-2']);
  });

  test('an unknown filter is 400; filters combine', () => {
    assert.throws(() => ps({ bogus: ['x'] }), { status: 400, message: /^invalid filter 'bogus'$/i });
    assert.deepEqual(ps({ status: ['running'], label: ['tier=web'], name: ['web'] }), ['web-2']);
  });
});

describe('prune', () => {
  test('removes created and exited containers only; destroy events, then prune with the space', async (t) => {
    const e = await fakeEngine();
    t.after(() => e.close());
    const mk = async (name: string, labels: Record<string, string> = {}) => (await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], Labels: labels }, name)).Id;
    const created = await mk('created');
    const exited = await mk('exited');
    const running = await mk('running');
    const paused = await mk('paused');
    for (const id of [exited, running, paused]) await e.containers.start(id);
    await e.containers.pause(paused);
    await e.containers.kill(exited, null);
    const written = path.join(e.snapshots.snapshotPaths(exited).UpperDir!, 'data');
    fs.writeFileSync(written, Buffer.alloc(5000));
    const expected = ['created', 'exited'].map((n) => e.containers.inspect(n, true).SizeRw as number).reduce((a, b) => a + b);
    e.log.length = 0;
    const r = await e.containers.prune({});
    assert.deepEqual(new Set(r.ContainersDeleted), new Set([created, exited]));
    assert.equal(r.SpaceReclaimed, expected);
    assert.ok(r.SpaceReclaimed >= 5000);
    assert.deepEqual(e.log.map((x) => x.Action), ['destroy', 'destroy', 'prune']);
    assert.equal(e.log.at(-1)!.Actor.Attributes.reclaimed, String(expected));
    assert.deepEqual(e.containers.list({ all: true, size: false, filters: {} }).map((c) => c.Id).sort(), [running, paused].sort());
    // Nothing left to prune: ContainersDeleted is null.
    assert.deepEqual(await e.containers.prune({}), { ContainersDeleted: null, SpaceReclaimed: 0 });
  });

  test('label, label! and until select; other filters are 400 and remove nothing', async (t) => {
    const e = await fakeEngine();
    t.after(() => e.close());
    const mk = async (name: string, labels: Record<string, string>) => (await e.containers.create({ Image: 'busybox', Cmd: ['true'], Labels: labels }, name)).Id;
    const a = await mk('a', { keep: 'yes' });
    const b = await mk('b', { keep: 'no' });
    const c = await mk('c', {});
    assert.throws(() => e.containers.prune({ status: ['exited'] }), { status: 400, message: /^invalid filter 'status'$/i });
    assert.equal(e.containers.list({ all: true, size: false, filters: {} }).length, 3);
    assert.deepEqual((await e.containers.prune({ 'label!': ['keep=yes'], label: ['keep'] })).ContainersDeleted, [b]);
    // until: only containers created before the time (an RFC 3339 time or a duration).
    assert.equal((await e.containers.prune({ until: ['1h'] })).ContainersDeleted, null);
    await new Promise((r) => setTimeout(r, 5));
    const cut = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 3));
    const d = await mk('d', {});
    assert.deepEqual(new Set((await e.containers.prune({ until: [cut] })).ContainersDeleted), new Set([a, c]));
    assert.ok(e.containers.has(d));
  });
});
