/**
 * API-version shaping happens at the HTTP edge (the routers); the engine answers the same for
 * every version. These pin what each version's clients see: VirtualSize before 1.44,
 * `<none>` placeholders before 1.43, `system df` ignoring `type` before 1.42, volume prune
 * taking named volumes before 1.42, rm's wording before 1.44. (Network names unique from 1.44:
 * conformance-net.test.ts, which has a daemon with a network driver.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

const JSON_CT = { 'Content-Type': 'application/json' };

test('image inspect and list: VirtualSize before API 1.44 only', async () => {
  for (const [v, has] of [['1.41', true], ['1.43', true], ['1.44', false], ['1.47', false]] as const) {
    const i = await d.api('GET', `/v${v}/images/bb/json`);
    assert.equal(i.status, 200, i.body);
    assert.equal('VirtualSize' in i.json, has, `inspect at ${v}`);
    if (has) assert.equal(i.json.VirtualSize, i.json.Size);
    const l = await d.api('GET', `/v${v}/images/json`);
    assert.equal(l.status, 200, l.body);
    assert.ok(l.json.length > 0);
    for (const s of l.json) assert.equal('VirtualSize' in s, has, `list at ${v}`);
  }
});

test('an image without references: <none>:<none> before API 1.43, [] after', async () => {
  const c = await d.api('POST', '/containers/create?name=edge-dangling', { Image: 'bb', Cmd: ['true'] }, JSON_CT);
  assert.equal(c.status, 201, c.body);
  const commit = await d.api('POST', `/commit?container=${c.json.Id}`, {}, JSON_CT);
  assert.equal(commit.status, 201, commit.body);
  const id: string = commit.json.Id;
  try {
    const find = async (v: string) => {
      const l = await d.api('GET', `/v${v}/images/json?all=1`);
      assert.equal(l.status, 200, l.body);
      return l.json.find((s: { Id: string }) => s.Id === id);
    };
    const old = await find('1.42');
    assert.deepEqual(old.RepoTags, ['<none>:<none>']);
    assert.deepEqual(old.RepoDigests, ['<none>@<none>']);
    const cur = await find('1.43');
    assert.deepEqual(cur.RepoTags, []);
    assert.deepEqual(cur.RepoDigests, []);
  } finally {
    await d.api('DELETE', `/containers/${c.json.Id}?force=1`);
    await d.api('DELETE', `/images/${id}?force=1`);
  }
});

test('system df: `type` picks the parts from API 1.42; older clients get every part', async () => {
  const cur = await d.api('GET', '/v1.42/system/df?type=volume');
  assert.equal(cur.status, 200, cur.body);
  assert.ok('Volumes' in cur.json);
  assert.ok(!('Images' in cur.json) && !('Containers' in cur.json));
  const old = await d.api('GET', '/v1.41/system/df?type=volume');
  assert.equal(old.status, 200, old.body);
  for (const k of ['Images', 'Containers', 'Volumes', 'LayersSize']) assert.ok(k in old.json, k);
  for (const s of old.json.Images) assert.equal(s.VirtualSize, s.Size);
  const bad = await d.api('GET', '/v1.42/system/df?type=nope');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'unknown object type: nope');
  assert.equal((await d.api('GET', '/v1.41/system/df?type=nope')).status, 200, 'type is not read before 1.42');
});

test('volume prune: named volumes too before API 1.42, anonymous ones only after', async () => {
  assert.equal((await d.api('POST', '/volumes/create', { Name: 'edge-named-a' }, JSON_CT)).status, 201);
  const cur = await d.api('POST', '/v1.42/volumes/prune');
  assert.equal(cur.status, 200, cur.body);
  assert.ok(!(cur.json.VolumesDeleted ?? []).includes('edge-named-a'));
  assert.equal((await d.api('GET', '/volumes/edge-named-a')).status, 200);
  const old = await d.api('POST', '/v1.41/volumes/prune');
  assert.equal(old.status, 200, old.body);
  assert.ok(old.json.VolumesDeleted.includes('edge-named-a'));
  assert.equal((await d.api('GET', '/volumes/edge-named-a')).status, 404);
});

test('rm of a running container: the wording before API 1.44, and docker 25\'s after', async () => {
  const c = await d.api('POST', '/containers/create?name=edge-rm', { Image: 'bb', Cmd: ['sleep', '60'] }, JSON_CT);
  assert.equal(c.status, 201, c.body);
  const id: string = c.json.Id;
  try {
    assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
    const old = await d.api('DELETE', `/v1.43/containers/${id}`);
    assert.equal(old.status, 409);
    assert.equal(old.json.message, `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    const cur = await d.api('DELETE', `/v1.44/containers/${id}`);
    assert.equal(cur.status, 409);
    assert.equal(cur.json.message, 'cannot remove container "/edge-rm": container is running: stop the container before removing or force remove');
  } finally {
    await d.api('DELETE', `/containers/${id}?force=1`);
  }
});
