/**
 * The driver-independent part of the SnapshotDriver contract (src/drivers/snapshot/contract.ts):
 * layers with files, directories, symlinks and whiteouts; container snapshots; changes; diff
 * round trip; bookkeeping and errors by class. Run against every implementation (overlay2,
 * vfs and the engine's fake: snapshot-contract.test.ts). What needs root or a real file
 * system (device nodes, xattrs, ownership, hard links, GNU tar input) stays in
 * snapshot-conformance.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { SnapshotDriver } from '../../src/drivers/snapshot/contract.ts';
import { chain, cleanup, collect, tarOf } from './snapshot-helpers.ts';

const T = 1600000000;
const layer1 = () => tarOf([
  { header: { name: 'etc', type: 'dir', mtime: T } },
  { header: { name: 'etc/hostname', type: 'file', mtime: T }, body: 'base\n' },
  { header: { name: 'etc/keep', type: 'file', mtime: T }, body: 'keep\n' },
  { header: { name: 'etc/del', type: 'file', mtime: T }, body: 'del\n' },
  { header: { name: 'opq/old', type: 'file', mtime: T }, body: 'o' },
  { header: { name: 'bin/sh', type: 'file', mode: 0o755, mtime: T }, body: '#!sh\n' },
  { header: { name: 'lib/rel', type: 'symlink', linkname: '../etc/keep', mtime: T } },
]);
const layer2 = () => tarOf([
  { header: { name: 'etc/hostname', type: 'file', mtime: T + 1 }, body: 'layer2\n' },
  { header: { name: 'etc/.wh.del', type: 'file' } },
  { header: { name: 'opq', type: 'dir', mtime: T + 1 } },
  { header: { name: 'opq/.wh..wh..opq', type: 'file' } },
  { header: { name: 'opq/new', type: 'file', mtime: T + 1 }, body: 'new' },
]);

/** Paths → 'dir' | file content | '-> target' (what every driver keeps alike). */
function view(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(dir, r));
      if (st.isDirectory()) { out[r] = 'dir'; walk(r); } else if (st.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(dir, r))}`;
      else out[r] = fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  walk('');
  return out;
}

export function snapshotContract(name: string, make: (root: string) => SnapshotDriver): void {
  describe(`snapshot driver contract: ${name}`, () => {
    test('layers, a container snapshot, changes, diff round trip, bookkeeping', async (t) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-snapc-${name}-`));
      t.after(() => cleanup(root));
      const d = make(path.join(root, 'd'));
      const [c1, c2, c3] = ['l1', 'l2', 'l3'].map(chain);
      const raw1 = await collect(layer1());
      const r1 = await d.applyLayer(c1!, undefined, Readable.from([raw1]));
      assert.equal(r1.diffId, `sha256:${createHash('sha256').update(raw1).digest('hex')}`);
      assert.equal(r1.size, 5 + 5 + 4 + 1 + 5 + '../etc/keep'.length);
      await d.applyLayer(c2!, c1, layer2());
      assert.ok(d.hasLayer(c2!));
      assert.ok(!d.hasLayer(c3!));
      await assert.rejects(d.applyLayer(c2!, c1, layer2()), { name: 'ConflictError' });
      await assert.rejects(d.applyLayer(c3!, chain('nope'), layer2()), { name: 'NotFoundError' });

      const mounts = await d.prepare('ctr', c2);
      assert.ok(mounts.length > 0 && mounts[0]!.type && mounts[0]!.source);
      assert.deepEqual(d.mounts('ctr'), mounts);
      await assert.rejects(d.prepare('ctr', c2), { name: 'ConflictError' });
      const dir = await d.mount('ctr');
      assert.equal(await d.mount('ctr'), dir, 'mount is idempotent');
      assert.deepEqual(view(dir), {
        bin: 'dir', 'bin/sh': '#!sh\n', etc: 'dir', 'etc/hostname': 'layer2\n', 'etc/keep': 'keep\n',
        lib: 'dir', 'lib/rel': '-> ../etc/keep', opq: 'dir', 'opq/new': 'new',
      });

      fs.writeFileSync(path.join(dir, 'etc/hostname'), 'ctr\n');
      fs.writeFileSync(path.join(dir, 'etc/added'), 'a');
      fs.rmSync(path.join(dir, 'etc/keep'));
      fs.mkdirSync(path.join(dir, 'new/deep'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'new/deep/f'), 'f');
      const changes = new Map((await d.changes('ctr')).map((c) => [c.Path, c.Kind]));
      for (const [p, k] of [['/etc', 0], ['/etc/hostname', 0], ['/etc/added', 1], ['/etc/keep', 2], ['/new', 1], ['/new/deep', 1], ['/new/deep/f', 1]] as const) {
        assert.equal(changes.get(p), k, `changes: ${p}`);
      }
      assert.ok(!changes.has('/bin') && !changes.has('/lib') && !changes.has('/opq'));
      const paths = [...changes.keys()];
      assert.deepEqual(paths, [...paths].sort());

      const before = view(dir);
      await d.applyLayer(c3!, c2, d.diff('ctr'));
      await d.prepare('check', c3);
      assert.deepEqual(view(await d.mount('check')), before, 'diff re-applied reproduces the container');
      assert.deepEqual(view(dir), before, 'diff() leaves the container alone');

      assert.deepEqual(d.list(), { layers: [c1!, c2!, c3!].sort(), snapshots: ['check', 'ctr'] });
      assert.ok(Object.keys(d.snapshotPaths('ctr')).length > 0);
      assert.ok(Object.keys(d.layerPaths(c1!)).length > 0);
      await assert.rejects(d.removeLayer(c2!), { name: 'ConflictError' }, 'a layer with a child');
      await assert.rejects(d.removeLayer(c3!), { name: 'ConflictError' }, 'a layer under a snapshot');
      await d.unmount('check');
      await d.unmount('check');
      await d.remove('check');
      await d.unmount('ctr');
      await d.remove('ctr');
      await assert.rejects(d.remove('ctr'), { name: 'NotFoundError' });
      await d.removeLayer(c3!);
      assert.deepEqual(d.list(), { layers: [c1!, c2!].sort(), snapshots: [] });
      assert.ok(Array.isArray(d.status()));
    });

    test('an empty rootfs (an image without layers): writes show as added; its diff is a layer', async (t) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-snapc-${name}-`));
      t.after(() => cleanup(root));
      const d = make(path.join(root, 'd'));
      await d.prepare('empty', undefined);
      const dir = await d.mount('empty');
      assert.deepEqual(fs.readdirSync(dir), []);
      fs.mkdirSync(path.join(dir, 'app'));
      fs.writeFileSync(path.join(dir, 'app/x'), 'x');
      assert.deepEqual(await d.changes('empty'), [{ Path: '/app', Kind: 1 }, { Path: '/app/x', Kind: 1 }]);
      const c = chain('from-empty');
      await d.applyLayer(c, undefined, d.diff('empty'));
      await d.prepare('check', c);
      assert.equal(fs.readFileSync(path.join(await d.mount('check'), 'app/x'), 'utf8'), 'x');
      await d.remove('check');
      await d.remove('empty');
    });
  });
}
