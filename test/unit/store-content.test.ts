import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ContentStore } from '../../src/store/content-store.ts';
import { openDatabase, migrate } from '../../src/store/db.ts';
import { chainIdOf, chainIdsOf } from '../../src/store/layer-store.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-store-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('content: ingest hashes while streaming, verifies, renames into place', async (t) => {
  const cs = new ContentStore(tmp(t));
  const data = Buffer.alloc(3 * 1024 * 1024 + 7, 'x');
  const chunks = [data.subarray(0, 1000), data.subarray(1000, 2_000_000), data.subarray(2_000_000)];
  const info = await cs.ingest(Readable.from(chunks), { expected: sha(data), size: data.length });
  assert.deepEqual(info, { digest: sha(data), size: data.length });
  assert.ok(cs.has(info.digest));
  assert.equal(cs.path(info.digest), path.join(cs.root, 'content/sha256', info.digest.slice(7)));
  assert.deepEqual(await cs.readBuffer(info.digest), data);
  assert.deepEqual(fs.readdirSync(cs.tmpDir), []);
  // Same bytes again: no error, same blob.
  assert.deepEqual(await cs.ingest(Readable.from([data])), info);
  assert.deepEqual(cs.list(), [info.digest]);
});

test('content: a wrong digest or size is refused and leaves no temp file and no blob', async (t) => {
  const cs = new ContentStore(tmp(t));
  const wrong = sha('something else');
  await assert.rejects(cs.ingest(Readable.from([Buffer.from('hello')]), { expected: wrong }), (e: Error & { status: number }) => /digest mismatch/.test(e.message) && e.status === 400);
  await assert.rejects(cs.ingest(Readable.from([Buffer.from('hello')]), { size: 4 }), /size mismatch/);
  assert.deepEqual(fs.readdirSync(cs.tmpDir), []);
  assert.deepEqual(cs.list(), []);
  assert.ok(!cs.has(sha('hello')));
});

test('content: a failing source stream leaves no temp file', async (t) => {
  const cs = new ContentStore(tmp(t));
  async function* broken() { yield Buffer.from('part'); throw new Error('connection reset'); }
  await assert.rejects(cs.ingest(Readable.from(broken())), /connection reset/);
  assert.deepEqual(fs.readdirSync(cs.tmpDir), []);
});

test('content: writeBuffer, delete, cleanTemp', async (t) => {
  const cs = new ContentStore(tmp(t));
  const { digest } = await cs.writeBuffer(Buffer.from('{"a":1}'));
  assert.equal(digest, sha('{"a":1}'));
  await assert.rejects(cs.writeBuffer(Buffer.from('x'), sha('y')), /digest mismatch/);
  fs.writeFileSync(path.join(cs.tmpDir, 'ingest-left-by-crash'), 'half');
  fs.mkdirSync(path.join(cs.tmpDir, 'load-dir'));
  assert.equal(await cs.cleanTemp(), 2);
  assert.deepEqual(fs.readdirSync(cs.tmpDir), []);
  await cs.delete(digest);
  assert.ok(!cs.has(digest));
  assert.throws(() => cs.readStream(digest), { message: `content ${digest}: not found` });
});

test('chain ids follow the image spec', () => {
  const d1 = sha('layer1');
  const d2 = sha('layer2');
  const d3 = sha('layer3');
  assert.equal(chainIdOf(undefined, d1), d1);
  const c2 = sha(`${d1} ${d2}`);
  assert.equal(chainIdOf(d1, d2), c2);
  const c3 = sha(`${c2} ${d3}`);
  assert.deepEqual(chainIdsOf([d1, d2, d3]), [d1, c2, c3]);
  assert.deepEqual(chainIdsOf([]), []);
});

test('db: WAL mode and migrations run once each', (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'metadata.db');
  let db = openDatabase(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('synchronous', { simple: true }), 1);
  let runs = 0;
  const steps = ['CREATE TABLE t (a INTEGER)', () => { runs++; }];
  migrate(db, 'x', steps);
  migrate(db, 'x', steps);
  assert.equal(runs, 1);
  db.close();
  db = openDatabase(file);
  migrate(db, 'x', [...steps, 'ALTER TABLE t ADD COLUMN b TEXT']);
  assert.equal(runs, 1);
  assert.deepEqual((db.prepare('SELECT id FROM migrations ORDER BY id').all() as { id: string }[]).map((r) => r.id), ['x:1', 'x:2', 'x:3']);
  // A failing migration rolls back and is not recorded.
  assert.throws(() => migrate(db, 'y', ['CREATE TABLE u (a)', 'NOT SQL']));
  assert.ok(db.prepare("SELECT 1 FROM migrations WHERE id = 'y:1'").get());
  assert.ok(!db.prepare("SELECT 1 FROM migrations WHERE id = 'y:2'").get());
  db.close();
});
