import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { harness, overlaySupported, sha256, smallRootfs, type DriverName } from './images-harness.ts';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';
import { createTar } from '../../src/common/tar/index.ts';

const drivers: DriverName[] = overlaySupported() ? ['vfs', 'overlay2'] : ['vfs'];

for (const d of drivers) {
  test(`${d}: import a rootfs tar with changes, inspect, history`, async (t) => {
    const h = harness(t, d);
    const tar = smallRootfs();
    const id = await h.service.import(Readable.from([tar]), {
      repo: 'bb', changes: ['CMD ["/bin/hello"]', 'ENV A=1 B="two words"', 'EXPOSE 80 53/udp', 'LABEL l1=v1', 'WORKDIR /srv', 'USER 1000', 'VOLUME /data'],
    });
    const config = h.service.graph.images.config(id);
    assert.equal(id, sha256(config), 'id is the sha256 of the stored config bytes');
    const ins = h.service.inspect('bb') as Record<string, any>;
    assert.equal(ins.Id, id);
    assert.deepEqual(ins.RepoTags, ['bb:latest']);
    assert.deepEqual(ins.RepoDigests, []);
    assert.deepEqual(ins.RootFS, { Type: 'layers', Layers: [sha256(tar)] });
    assert.deepEqual(ins.Config.Cmd, ['/bin/hello']);
    assert.deepEqual(ins.Config.Env, ['A=1', 'B=two words']);
    assert.deepEqual(ins.Config.ExposedPorts, { '53/udp': {}, '80/tcp': {} });
    assert.deepEqual(ins.Config.Labels, { l1: 'v1' });
    assert.equal(ins.Config.WorkingDir, '/srv');
    assert.equal(ins.Config.User, '1000');
    assert.deepEqual(ins.Config.Volumes, { '/data': {} });
    assert.equal(ins.Os, 'linux');
    assert.equal(ins.GraphDriver.Name, d);
    assert.ok(Object.keys(ins.GraphDriver.Data).length > 0);
    assert.ok(ins.Size > 0);
    assert.match(ins.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.notEqual(ins.Metadata.LastTagTime, '0001-01-01T00:00:00Z');
    const hist = h.service.history(id);
    assert.equal(hist.length, 1);
    assert.equal(hist[0]!.Id, id);
    assert.deepEqual(hist[0]!.Tags, ['bb:latest']);
    assert.equal(hist[0]!.Comment, 'Imported from -');
    assert.equal(hist[0]!.Size, ins.Size);
    // The layer's files are really there.
    const r = h.service.resolve('bb:latest');
    assert.equal(r.topChainId, sha256(tar));
    assert.deepEqual(r.layerChainIds, [sha256(tar)]);
    assert.ok(h.driver.hasLayer(r.topChainId!));
    assert.deepEqual(h.events.map((e) => e.Action), ['tag', 'import']);
    assert.equal(h.events[0]!.Actor.Attributes.name, 'bb:latest');
    assert.equal(h.events[0]!.Actor.Attributes.l1, 'v1');
  });
}

test('import: gzip and plain give the same layer; bad changes are refused with docker\'s message', async (t) => {
  const h = harness(t);
  const tar = smallRootfs();
  const a = await h.service.import(Readable.from([tar]), { repo: 'a', tag: 'v1', message: 'first' });
  const b = await h.service.import(Readable.from([gzipSync(tar)]), { repo: 'localhost:5000/x/y', tag: 't' });
  assert.deepEqual(h.service.resolve(a).layerChainIds, h.service.resolve(b).layerChainIds);
  assert.equal((h.service.inspect('a:v1') as { Comment: string }).Comment, 'first');
  assert.deepEqual(h.service.list().flatMap((i) => i.RepoTags).sort(), ['a:v1', 'localhost:5000/x/y:t']);
  await assert.rejects(h.service.import(Readable.from([tar]), { changes: ['RUN echo'] }), { message: 'RUN is not a valid change command' });
  await assert.rejects(h.service.import(Readable.from([tar]), { repo: 'BAD' }), { message: 'invalid reference format: repository name (library/BAD) must be lowercase' });
});

test('import the busybox rootfs', async (t) => {
  const h = harness(t);
  const tarPath = await busyboxRootfsTar();
  const id = await h.service.import(fs.createReadStream(tarPath), { repo: 'busybox', changes: ['CMD ["sh"]'] });
  assert.equal(h.service.resolve('busybox').id, id);
  const { Dir } = h.driver.layerPaths(h.service.resolve('busybox').topChainId!);
  assert.ok(fs.existsSync(`${Dir}/bin/busybox`));
  assert.equal(fs.readlinkSync(`${Dir}/bin/sh`), 'busybox');
});

test('lookup: name, tag, full id, short id, unique prefix; 404 wording', async (t) => {
  const h = harness(t);
  const id = await h.service.import(Readable.from([smallRootfs()]), { repo: 'bb' });
  const hex = id.slice(7);
  for (const ref of ['bb', 'bb:latest', 'docker.io/library/bb:latest', id, hex, hex.slice(0, 12), hex.slice(0, 3), `sha256:${hex.slice(0, 8)}`]) {
    assert.equal(h.service.lookup(ref), id, ref);
  }
  assert.throws(() => h.service.lookup('x'), (e: Error & { status: number }) => e.message === 'No such image: x:latest' && e.status === 404);
  assert.throws(() => h.service.lookup('bb:v2'), { message: 'No such image: bb:v2' });
  assert.throws(() => h.service.lookup('sha256:' + 'f'.repeat(64)), { message: 'No such image: sha256:' + 'f'.repeat(64) });
});

test('tag and rmi: untag vs delete, conflicts, 404', async (t) => {
  const h = harness(t);
  const id = await h.service.import(Readable.from([smallRootfs()]), { repo: 'bb' });
  const short = id.slice(7, 19);
  h.service.tag('bb', 'bb:v2');
  h.service.tag(id, 'other/repo:x');
  assert.deepEqual(h.service.repoTags(id), ['bb:latest', 'bb:v2', 'other/repo:x']);
  // By id with tags in several repositories: soft conflict.
  await assert.rejects(h.service.remove(id), (e: Error & { status: number }) => e.status === 409 && e.message === `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
  // By name: only untags while other names remain.
  assert.deepEqual(await h.service.remove('bb:v2'), [{ Untagged: 'bb:v2' }]);
  assert.deepEqual(await h.service.remove('other/repo:x'), [{ Untagged: 'other/repo:x' }]);
  // A container uses it: removing the last name needs force.
  const ctr = 'c'.repeat(64);
  const usage = (img: string, state?: 'running' | 'stopped') => (img === id && state !== 'running' ? ctr : undefined);
  await assert.rejects(h.service.remove('bb:latest', {}, usage), { message: `conflict: unable to remove repository reference "bb:latest" (must force) - container cccccccccccc is using its referenced image ${short}` });
  await assert.rejects(h.service.remove(id, {}, usage), { message: `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container cccccccccccc` });
  const running = (img: string) => (img === id ? ctr : undefined);
  await assert.rejects(h.service.remove(id, { force: true }, running), { message: `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container cccccccccccc` });
  await assert.rejects(h.service.remove('nope'), (e: Error & { status: number }) => e.status === 404 && e.message === 'No such image: nope:latest');
  const top = h.service.resolve(id).topChainId!;
  h.events.length = 0;
  const res = await h.service.remove('bb');
  assert.deepEqual(res, [{ Untagged: 'bb:latest' }, { Deleted: id }, { Deleted: top }]);
  assert.deepEqual(h.events.map((e) => e.Action), ['untag', 'delete']);
  assert.ok(!h.driver.hasLayer(top));
  assert.equal(h.layers.get(top), undefined);
  assert.ok(!h.content.has(top), 'the layer tar blob is gone too');
  assert.deepEqual(h.service.list(), []);
});

test('rmi by id: several tags need force, one tag is untagged; shared layers stay', async (t) => {
  const h = harness(t);
  const tar = smallRootfs();
  const a = await h.service.import(Readable.from([tar]), { repo: 'bb', changes: ['CMD ["a"]'] });
  const b = await h.service.import(Readable.from([tar]), { repo: 'cc', changes: ['CMD ["b"]'] });
  h.service.tag('bb', 'bb:v2');
  // Two tags (even in one repository) need force when removing by id, as in docker.
  await assert.rejects(h.service.remove(a.slice(7, 19)), { message: `conflict: unable to delete ${a.slice(7, 19)} (must be forced) - image is referenced in multiple repositories` });
  const res = await h.service.remove(a.slice(7, 19), { force: true });
  assert.deepEqual(res, [{ Untagged: 'bb:latest' }, { Untagged: 'bb:v2' }, { Deleted: a }]);
  assert.ok(h.driver.hasLayer(sha256(tar)), 'layer still used by cc');
  // One tag: removing by id untags it and deletes.
  assert.deepEqual(await h.service.remove(b), [{ Untagged: 'cc:latest' }, { Deleted: b }, { Deleted: sha256(tar) }]);
});

test('createImage: a new layer and an empty step over a parent; children block removal', async (t) => {
  const h = harness(t);
  const base = await h.service.import(Readable.from([smallRootfs()]), { repo: 'base' });
  const diff = createTar([
    { header: { name: 'srv/', type: 'dir', mode: 0o755, mtime: 1700000000 } },
    { header: { name: 'srv/app.txt', type: 'file', mode: 0o644, mtime: 1700000000 }, body: 'app\n' },
    { header: { name: 'etc/.wh.os-release', type: 'file', mode: 0o644, mtime: 1700000000 }, body: '' },
  ]);
  const step1 = await h.service.createImage({ parent: base, layer: Readable.from([diff]), config: { Cmd: ['cat', '/srv/app.txt'] }, createdBy: '/bin/sh -c echo app > /srv/app.txt', comment: 'c1', author: 'me' });
  const step2 = await h.service.createImage({ parent: step1, config: { Cmd: ['x'], Env: ['X=1'] }, createdBy: '/bin/sh -c #(nop)  ENV X=1', tag: 'app:1' });
  const r2 = h.service.resolve('app:1');
  assert.equal(r2.id, step2);
  assert.equal(r2.layerChainIds.length, 2);
  assert.equal(r2.layerChainIds[1], sha256(`${sha256(smallRootfs())} ${sha256(diff)}`));
  assert.equal(r2.config.history!.length, 3);
  assert.equal(r2.config.history![2]!.empty_layer, true);
  const ins = h.service.inspect(step2) as Record<string, any>;
  assert.equal(ins.Parent, step1);
  const hist = h.service.history('app:1');
  assert.deepEqual(hist.map((x) => x.Id), [step2, step1, base]);
  assert.deepEqual(hist.map((x) => x.Tags), [['app:1'], null, ['base:latest']]);
  assert.equal(hist[0]!.Size, 0);
  assert.ok(hist[1]!.Size > 0);
  assert.equal(hist[1]!.CreatedBy, '/bin/sh -c echo app > /srv/app.txt');
  // The top layer has the whiteout applied.
  const lower = h.driver.layerPaths(r2.topChainId!);
  assert.ok(Object.keys(lower).length > 0);
  // Intermediate (untagged parent) images are hidden unless all=true.
  assert.deepEqual(h.service.list().map((i) => i.Id).sort(), [base, step2].sort());
  assert.deepEqual(h.service.list({ all: true }).map((i) => i.Id).sort(), [base, step1, step2].sort());
  await assert.rejects(h.service.remove(step1, { force: true }), { message: `conflict: unable to delete ${step1.slice(7, 19)} (cannot be forced) - image has dependent child images` });
  // Removing the child prunes the untagged parent too.
  const res = await h.service.remove('app:1');
  assert.deepEqual(res.filter((x) => x.Deleted?.startsWith('sha256:') && (x.Deleted === step2 || x.Deleted === step1)).map((x) => x.Deleted), [step2, step1]);
  assert.ok(h.service.lookup('base'));
});

test('list filters: dangling, reference, label, before/since', async (t) => {
  const h = harness(t);
  const a = await h.service.import(Readable.from([smallRootfs('a')]), { repo: 'busybox', tag: '1', changes: ['LABEL team=x'] });
  await new Promise((r) => setTimeout(r, 5));
  const b = await h.service.import(Readable.from([smallRootfs('b')]), { repo: 'busybox', tag: '2' });
  await new Promise((r) => setTimeout(r, 5));
  const c = await h.service.import(Readable.from([smallRootfs('c')]), {});
  const ids = (f: Record<string, string[]>) => h.service.list({ filters: f }).map((i) => i.Id).sort();
  assert.deepEqual(ids({ dangling: ['true'] }), [c]);
  assert.deepEqual(ids({ dangling: ['false'] }), [a, b].sort());
  assert.deepEqual(ids({ reference: ['busybox'] }), [a, b].sort());
  assert.deepEqual(ids({ reference: ['busybox:1'] }), [a]);
  assert.deepEqual(ids({ reference: ['busy*'] }), [a, b].sort());
  assert.deepEqual(ids({ label: ['team'] }), [a]);
  assert.deepEqual(ids({ label: ['team=y'] }), []);
  assert.deepEqual(ids({ since: ['busybox:1'] }), [b, c].sort());
  assert.deepEqual(ids({ before: ['busybox:2'] }), [a]);
  assert.throws(() => h.service.list({ filters: { nope: ['1'] } }), { message: "invalid filter 'nope'" });
  const s = h.service.list({ filters: { reference: ['busybox:1'] } })[0]!;
  assert.deepEqual(Object.keys(s), ['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'Labels', 'Containers']);
  assert.deepEqual(s.RepoTags, ['busybox:1']);
  assert.deepEqual(s.Labels, { team: 'x' });
  assert.equal(s.SharedSize, -1);
  assert.equal(s.Containers, -1);
  const old = h.service.list({ nonePlaceholders: true, withVirtualSize: true, filters: { dangling: ['true'] } })[0]!;
  assert.deepEqual(old.RepoTags, ['<none>:<none>']);
  assert.equal(old.VirtualSize, old.Size);
  // prune removes only the dangling one
  const p = await h.service.prune();
  assert.deepEqual(p.ImagesDeleted!.map((x) => x.Deleted).slice(0, 1), [c]);
  assert.ok(p.SpaceReclaimed > 0);
  assert.deepEqual(ids({}), [a, b].sort());
  const p2 = await h.service.prune({ dangling: ['false'], label: ['team=x'] });
  assert.ok(p2.ImagesDeleted!.some((x) => x.Deleted === a));
  assert.deepEqual(ids({}), [b]);
});
