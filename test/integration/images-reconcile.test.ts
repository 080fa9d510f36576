import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { harness, sha256, smallRootfs } from './images-harness.ts';

test('reconcile after a crash: half-applied layers, vanished layer dirs, temp files and orphan blobs go; whole images stay', async (t) => {
  const h = harness(t);
  const keep = await h.service.import(Readable.from([smallRootfs('keep')]), { repo: 'keep' });
  const lost = await h.service.import(Readable.from([smallRootfs('lost')]), { repo: 'lost' });
  const lostChain = h.service.resolve(lost).topChainId!;
  // 1. The daemon died after the driver applied a layer but before its row was written.
  const half = smallRootfs('half');
  await h.driver.applyLayer(sha256(half), undefined, Readable.from([half]));
  await h.content.writeBuffer(half); // its blob made it too
  // 2. Someone removed a layer directory behind our back.
  await h.driver.removeLayer(lostChain);
  // 3. An ingest and a load were interrupted.
  fs.writeFileSync(path.join(h.content.tmpDir, 'ingest-0123456789abcdef'), 'partial');
  fs.mkdirSync(path.join(h.content.tmpDir, 'load-0123456789abcdef', 'blobs'), { recursive: true });

  const r = h.reopen();
  const report = await r.service.reconcile();
  assert.equal(report.tempFiles, 2);
  assert.deepEqual(report.layerDirsRemoved, [sha256(half)]);
  assert.deepEqual(report.layerRowsDropped, [lostChain]);
  assert.deepEqual(report.imagesDropped, [lost]);
  assert.equal(report.refsDropped, 1);
  assert.equal(report.blobsRemoved, 2, 'the half layer blob and the lost layer blob');
  assert.ok(!r.driver.hasLayer(sha256(half)));
  assert.deepEqual(fs.readdirSync(r.content.tmpDir), []);
  assert.deepEqual(r.service.list().map((i) => i.RepoTags), [['keep:latest']]);
  assert.equal(r.service.lookup('keep'), keep);
  assert.throws(() => r.service.lookup('lost'), { message: 'No such image: lost:latest' });
  // A second pass finds nothing to do.
  const again = await r.service.reconcile();
  assert.deepEqual(again, { tempFiles: 0, layerDirsRemoved: [], layerRowsDropped: [], imagesDropped: [], refsDropped: 0, layersReleased: [], blobsRemoved: 0 });
  // The dropped image can be imported again.
  assert.equal(await r.service.import(Readable.from([smallRootfs('lost')]), { repo: 'lost' }).then((id) => r.service.resolve(id).topChainId), lostChain);
});

test('a layer stream that fails half-way leaves no layer, row, blob or temp file', async (t) => {
  const h = harness(t);
  const tar = smallRootfs();
  async function* broken() {
    yield tar.subarray(0, 1024);
    throw new Error('client went away');
  }
  await assert.rejects(h.service.import(Readable.from(broken()), { repo: 'x' }), /client went away/);
  assert.deepEqual(h.layers.all(), []);
  assert.deepEqual(h.driver.list().layers, []);
  assert.deepEqual(h.content.list(), []);
  assert.deepEqual(fs.readdirSync(h.content.tmpDir), []);
  assert.deepEqual(h.service.list({ all: true }), []);
});

test('layers held by a container mount survive image removal', async (t) => {
  const h = harness(t);
  const id = await h.service.import(Readable.from([smallRootfs()]), { repo: 'x' });
  const top = h.service.resolve(id).topChainId!;
  h.layers.addMount('ctr1', top);
  const res = await h.service.remove('x', { force: true });
  assert.deepEqual(res, [{ Untagged: 'x:latest' }, { Deleted: id }]);
  assert.ok(h.driver.hasLayer(top));
  h.layers.removeMount('ctr1');
  assert.deepEqual(await h.layers.release(top, () => false), [top]);
  assert.ok(!h.driver.hasLayer(top));
});

test('a pinned layer (an in-flight job builds on it) is not released; removing the base during a commit keeps the chain', async (t) => {
  const h = harness(t);
  const id = await h.service.import(Readable.from([smallRootfs()]), { repo: 'x' });
  const top = h.service.resolve(id).topChainId!;
  const unpin = h.layers.pin(top);
  assert.deepEqual(await h.layers.release(top, () => false), []);
  unpin();
  unpin(); // idempotent
  // A commit over x races with `rmi x`: the new image keeps its whole chain.
  const { createTar } = await import('../../src/common/tar/index.ts');
  const diff = createTar([{ header: { name: 'new.txt', type: 'file', mode: 0o644, mtime: 0 }, body: 'n' }]);
  const [child] = await Promise.all([
    h.service.createImage({ parent: id, layer: Readable.from([diff]), config: {} }),
    h.service.remove('x'),
  ]);
  const chain = h.service.resolve(child).layerChainIds;
  assert.equal(chain[0], top);
  for (const c of chain) assert.ok(h.driver.hasLayer(c), c);
});
