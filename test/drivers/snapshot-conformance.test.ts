/**
 * Snapshot driver conformance: the same scenario against overlay2 (real overlay mounts) and
 * vfs. Layers with adds, overwrites, whiteouts, an opaque dir, symlinks, hard links, a device
 * node, setuid and xattrs; a container snapshot written to; its diff re-applied as a layer
 * must reproduce the container's view; `changes()` lists docker-diff entries.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lgetxattr, lsetxattr, splitdev } from '../../src/common/native/libc.ts';
import type { SnapshotDriver } from '../../src/drivers/snapshot/contract.ts';
import { Overlay2Driver } from '../../src/drivers/snapshot/overlay2/driver.ts';
import { VfsDriver } from '../../src/drivers/snapshot/vfs/driver.ts';
import { chain, cleanup, collect, tarOf, tree } from './snapshot-helpers.ts';

export const drivers: [string, (root: string) => SnapshotDriver][] = [
  ['overlay2', (root) => new Overlay2Driver({ root })],
  ['vfs', (root) => new VfsDriver({ root })],
];

const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');
const T = 1600000000;

const layer1 = () => tarOf([
  { header: { name: 'etc', type: 'dir', mtime: T } },
  { header: { name: 'etc/hostname', type: 'file', mtime: T }, body: 'base\n' },
  { header: { name: 'etc/keep', type: 'file', mtime: T }, body: 'keep\n' },
  { header: { name: 'etc/del', type: 'file', mtime: T }, body: 'del\n' },
  { header: { name: 'opq/old1', type: 'file', mtime: T }, body: '1' },
  { header: { name: 'opq/old2', type: 'file', mtime: T }, body: '2' },
  { header: { name: 'bin/sh', type: 'file', mode: 0o755, mtime: T }, body: '#!sh\n' },
  { header: { name: 'bin/su', type: 'file', mode: 0o4755, mtime: T }, body: 'su' },
  { header: { name: 'bin/sgid', type: 'file', mode: 0o2711, uid: 1000, gid: 1000, mtime: T }, body: 'sg' },
  { header: { name: 'bin/link', type: 'link', linkname: 'bin/sh' } },
  { header: { name: 'bin/ping', type: 'file', mode: 0o755, mtime: T, xattrs: new Map([['security.capability', CAP], ['user.note', Buffer.from([0, 1, 2, 0xff])], ['trusted.overlay.opaque', Buffer.from('y')]]) }, body: 'ping' },
  { header: { name: 'lib/abs', type: 'symlink', linkname: '/etc/hostname', mtime: T } },
  { header: { name: 'lib/rel', type: 'symlink', linkname: '../etc/keep', mtime: T } },
  { header: { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666, mtime: T } },
  { header: { name: 'data/big', type: 'file', mtime: T }, body: Buffer.alloc(300_000, 'b') },
  { header: { name: 'home/u/owned', type: 'file', uid: 1234, gid: 5678, mode: 0o640, mtime: T }, body: 'mine' },
]);
const layer2 = () => tarOf([
  { header: { name: 'etc/hostname', type: 'file', mtime: T + 1 }, body: 'layer2\n' },
  { header: { name: 'etc/.wh.del', type: 'file' } },
  { header: { name: 'opq', type: 'dir', mtime: T + 1 } },
  { header: { name: 'opq/.wh..wh..opq', type: 'file' } },
  { header: { name: 'opq/new', type: 'file', mtime: T + 1 }, body: 'new' },
  { header: { name: 'new/file', type: 'file', mtime: T + 1 }, body: 'nf' },
]);
const layer3 = () => tarOf([
  { header: { name: '.wh.data', type: 'file' } },
  { header: { name: '/usr/local/x', type: 'file', mtime: T + 2 }, body: 'x' },
]);

for (const [name, make] of drivers) {
  describe(`snapshot driver ${name}`, () => {
    test('layers, container snapshot, changes, diff round trip', async (t) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-snap-${name}-`));
      t.after(() => cleanup(root));
      const d = make(path.join(root, name));
      const [c1, c2, c3, c4] = ['l1', 'l2', 'l3', 'l4'].map(chain);

      const r1 = await d.applyLayer(c1, undefined, layer1());
      assert.match(r1.diffId, /^sha256:[0-9a-f]{64}$/);
      // files, the hard link not again, the two symlinks by their targets' lengths (docker's DiffSize)
      assert.equal(r1.size, 5 + 5 + 4 + 1 + 1 + 5 + 2 + 2 + 4 + 300_000 + 4 + '/etc/hostname'.length + '../etc/keep'.length);
      await d.applyLayer(c2, c1, layer2());
      await d.applyLayer(c3, c2, layer3());
      assert.ok(d.hasLayer(c3));
      await assert.rejects(d.applyLayer(c3, c2, layer3()), { name: 'ConflictError' });
      await assert.rejects(d.applyLayer(c4, chain('nope'), layer3()), { name: 'NotFoundError' });

      const mounts = await d.prepare('ctr1', c3);
      assert.equal(mounts[0].type, name === 'overlay2' ? 'overlay' : 'bind');
      const view = await d.mount('ctr1');
      assert.equal(await d.mount('ctr1'), view, 'mount is idempotent');

      // The merged view of three layers.
      const read = (p: string) => fs.readFileSync(path.join(view, p), 'utf8');
      const exists = (p: string) => fs.existsSync(path.join(view, p)) || !!fs.lstatSync(path.join(view, p), { throwIfNoEntry: false });
      assert.equal(read('etc/hostname'), 'layer2\n');
      assert.equal(read('etc/keep'), 'keep\n');
      assert.ok(!exists('etc/del'));
      assert.deepEqual(fs.readdirSync(path.join(view, 'opq')), ['new']);
      assert.ok(!exists('data'));
      assert.equal(read('usr/local/x'), 'x');
      assert.equal(fs.statSync(path.join(view, 'bin/su')).mode & 0o7777, 0o4755);
      const sg = fs.statSync(path.join(view, 'bin/sgid'));
      assert.deepEqual([sg.mode & 0o7777, sg.uid, sg.gid], [0o2711, 1000, 1000]);
      assert.equal(fs.statSync(path.join(view, 'bin/link')).ino, fs.statSync(path.join(view, 'bin/sh')).ino);
      assert.equal(fs.readlinkSync(path.join(view, 'lib/abs')), '/etc/hostname');
      assert.equal(fs.readlinkSync(path.join(view, 'lib/rel')), '../etc/keep');
      const dn = fs.lstatSync(path.join(view, 'dev/null'));
      assert.ok(dn.isCharacterDevice());
      assert.deepEqual(splitdev(dn.rdev), { major: 1, minor: 3 });
      assert.deepEqual(lgetxattr(path.join(view, 'bin/ping'), 'security.capability'), CAP);
      assert.deepEqual(lgetxattr(path.join(view, 'bin/ping'), 'user.note'), Buffer.from([0, 1, 2, 0xff]));
      const ow = fs.statSync(path.join(view, 'home/u/owned'));
      assert.deepEqual([ow.uid, ow.gid, ow.mode & 0o7777, ow.mtimeMs / 1000], [1234, 5678, 0o640, T]);

      // Changes inside the container.
      fs.writeFileSync(path.join(view, 'etc/hostname'), 'ctr\n');
      fs.writeFileSync(path.join(view, 'etc/newfile'), 'n');
      fs.rmSync(path.join(view, 'etc/keep'));
      fs.rmSync(path.join(view, 'new'), { recursive: true });
      fs.mkdirSync(path.join(view, 'added/dir/deep'), { recursive: true });
      fs.writeFileSync(path.join(view, 'added/dir/deep/f'), 'deep');
      fs.symlinkSync('/nowhere', path.join(view, 'added/sl'));
      fs.writeFileSync(path.join(view, 'added/h1'), 'hard');
      fs.linkSync(path.join(view, 'added/h1'), path.join(view, 'added/h2'));
      lsetxattr(path.join(view, 'added/h1'), 'user.x', Buffer.from([9, 0, 9]));
      fs.rmSync(path.join(view, 'opq'), { recursive: true });
      fs.mkdirSync(path.join(view, 'opq'));
      fs.writeFileSync(path.join(view, 'opq/again'), 'a');
      fs.chmodSync(path.join(view, 'bin/sh'), 0o700);
      fs.chownSync(path.join(view, 'home/u/owned'), 1, 1);
      const before = tree(view);

      const changes = await d.changes('ctr1');
      const kinds = new Map(changes.map((c) => [c.Path, c.Kind]));
      const expect: [string, number][] = [
        ['/etc', 0], ['/etc/hostname', 0], ['/etc/newfile', 1], ['/etc/keep', 2], ['/new', 2], ['/added', 1],
        ['/added/dir', 1], ['/added/dir/deep', 1], ['/added/dir/deep/f', 1], ['/added/sl', 1], ['/added/h2', 1],
        ['/opq', 0], ['/opq/again', 1], ['/bin', 0], ['/bin/sh', 0], ['/home', 0], ['/home/u', 0], ['/home/u/owned', 0],
      ];
      for (const [p, k] of expect) assert.equal(kinds.get(p), k, `changes: ${p}`);
      assert.ok(!kinds.has('/usr') && !kinds.has('/lib') && !kinds.has('/etc/hostname/x'));
      assert.deepEqual(changes.map((c) => c.Path), [...changes.map((c) => c.Path)].sort());

      // diff → new layer on the same chain → a fresh snapshot must look like the container.
      const diffTar = await collect(d.diff('ctr1'));
      const r4 = await d.applyLayer(c4, c3, (await import('node:stream')).Readable.from([diffTar]));
      assert.equal(r4.diffId, `sha256:${createHash('sha256').update(diffTar).digest('hex')}`);
      await d.prepare('verify', c4);
      const view2 = await d.mount('verify');
      assert.deepEqual(tree(view2), before);
      assert.deepEqual(tree(view), before, 'diff() does not disturb the container');

      // Bookkeeping.
      assert.deepEqual(d.list(), { layers: [c1, c2, c3, c4].sort(), snapshots: ['ctr1', 'verify'] });
      await assert.rejects(d.removeLayer(c4), { name: 'ConflictError' });
      assert.ok(Object.keys(d.snapshotPaths('ctr1')).length > 0);
      assert.ok(Object.keys(d.layerPaths(c1)).length > 0);
      await d.unmount('verify');
      await d.unmount('verify');
      await d.remove('verify');
      await d.remove('ctr1');
      await d.removeLayer(c4);
      assert.deepEqual(d.list(), { layers: [c1, c2, c3].sort(), snapshots: [] });
      await assert.rejects(d.remove('ctr1'), { name: 'NotFoundError' });
      assert.ok(Array.isArray(d.status()));

      // A new driver instance over the same root sees the same state (persisted on disk only).
      assert.deepEqual(make(path.join(root, name)).list(), d.list());
    });

    test('empty rootfs snapshot (image with no layers)', async (t) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-snap-${name}-`));
      t.after(() => cleanup(root));
      const d = make(path.join(root, name));
      const mounts = await d.prepare('empty', undefined);
      assert.equal(mounts[0].type, 'bind');
      const view = await d.mount('empty');
      assert.deepEqual(fs.readdirSync(view), []);
      fs.mkdirSync(path.join(view, 'app'));
      fs.writeFileSync(path.join(view, 'app/x'), 'x');
      assert.deepEqual(await d.changes('empty'), [{ Path: '/app', Kind: 1 }, { Path: '/app/x', Kind: 1 }]);
      const c = chain('from-empty');
      await d.applyLayer(c, undefined, d.diff('empty'));
      await d.prepare('check', c);
      assert.equal(fs.readFileSync(path.join(await d.mount('check'), 'app/x'), 'utf8'), 'x');
      await d.remove('check');
      await d.remove('empty');
    });

    test('a layer made by GNU tar (./ prefixes, PAX xattrs) reproduces its source tree', async (t) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-snap-${name}-`));
      t.after(() => cleanup(root));
      const src = path.join(root, 'src');
      fs.mkdirSync(path.join(src, 'usr/bin'), { recursive: true });
      fs.writeFileSync(path.join(src, 'usr/bin/tool'), 'tool');
      fs.chmodSync(path.join(src, 'usr/bin/tool'), 0o4711);
      fs.linkSync(path.join(src, 'usr/bin/tool'), path.join(src, 'usr/bin/tool2'));
      fs.symlinkSync('usr/bin', path.join(src, 'bin'));
      fs.writeFileSync(path.join(src, 'cap'), 'c');
      lsetxattr(path.join(src, 'cap'), 'user.k', Buffer.from([0xde, 0xad, 0, 0xbe]));
      fs.mkdirSync(path.join(src, `${'long'.repeat(40)}`));
      fs.writeFileSync(path.join(src, `${'long'.repeat(40)}/${'name'.repeat(40)}`), 'l');
      fs.chownSync(path.join(src, 'cap'), 42, 43);
      const { execFileSync } = await import('node:child_process');
      const { Readable } = await import('node:stream');
      const raw = execFileSync('tar', ['--xattrs', '--xattrs-include=user.*', '--format=posix', '-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 24 });
      const d = make(path.join(root, name));
      await d.applyLayer(chain('gnu'), undefined, Readable.from([raw]));
      await d.prepare('c', chain('gnu'));
      assert.deepEqual(tree(await d.mount('c')), tree(src));
      await d.remove('c');
    });

    test('gzip layer input is accepted; the DiffID is of the uncompressed tar', async (t) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-snap-${name}-`));
      t.after(() => cleanup(root));
      const d = make(path.join(root, name));
      const raw = await collect(layer3());
      const { gzipSync } = await import('node:zlib');
      const { Readable } = await import('node:stream');
      const r = await d.applyLayer(chain('gz'), undefined, Readable.from([gzipSync(raw)]));
      assert.equal(r.diffId, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
    });
  });
}
