import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ContentStore } from '../../src/store/content-store.ts';
import { openDatabase } from '../../src/store/db.ts';
import { ImageStore } from '../../src/store/image-store.ts';
import { ReferenceStore } from '../../src/store/reference-store.ts';
import { familiarString, normalizeTagged } from '../../src/common/reference.ts';

function setup(t: { after: (fn: () => void) => void }) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-store-'));
  const db = openDatabase(path.join(d, 'metadata.db'));
  t.after(() => { db.close(); fs.rmSync(d, { recursive: true, force: true }); });
  const content = new ContentStore(d);
  return { db, content, images: new ImageStore(db, content), refs: new ReferenceStore(db) };
}

test('image store: id is the sha256 of the config bytes as stored', async (t) => {
  const { images, content } = setup(t);
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const id = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const rec = await images.create({ config, topChainId: null, size: 0, created: 1000 });
  assert.equal(rec.id, id);
  assert.deepEqual(images.config(id), config);
  assert.ok(content.has(id));
  assert.deepEqual(images.search(id.slice(7, 15)), [id]);
  assert.deepEqual(images.search('zz'), []);
  const child = await images.create({ config: Buffer.from('{"x":2}'), parent: id, topChainId: 'sha256:' + 'a'.repeat(64), size: 5, created: 2000 });
  assert.deepEqual(images.children(id), [child.id]);
  assert.ok(images.holdsLayer('sha256:' + 'a'.repeat(64)));
  assert.deepEqual(images.all().map((i) => i.id), [child.id, id]);
  await images.delete(child.id);
  assert.equal(images.get(child.id), undefined);
  assert.ok(!content.has(child.id));
});

test('reference store: tags and digests point at images, sorted as docker shows them', (t) => {
  const { refs } = setup(t);
  const a = 'sha256:' + 'a'.repeat(64);
  const b = 'sha256:' + 'b'.repeat(64);
  assert.equal(refs.add(normalizeTagged('busybox'), a), undefined);
  refs.add(normalizeTagged('bb:v1'), a);
  refs.add(normalizeTagged('localhost:5000/x/y:t'), a);
  refs.add(normalizeTagged('busybox@sha256:' + 'c'.repeat(64)), a);
  assert.deepEqual(refs.references(a).map(familiarString), ['bb:v1', 'busybox:latest', 'busybox@sha256:' + 'c'.repeat(64), 'localhost:5000/x/y:t']);
  assert.equal(refs.get(normalizeTagged('docker.io/library/busybox:latest')), a);
  // Moving a tag reports the image it left.
  assert.equal(refs.add(normalizeTagged('bb:v1'), b), a);
  assert.equal(refs.add(normalizeTagged('bb:v1'), b), undefined);
  assert.ok(refs.delete(normalizeTagged('bb:v1')));
  assert.ok(!refs.delete(normalizeTagged('bb:v1')));
  assert.equal(refs.byImage().get(a)!.length, 3);
  assert.equal(refs.dropDangling((id) => id !== a), 3);
  assert.equal(refs.byImage().size, 0);
});
