/**
 * Tar-split (common/tar/split.ts) against both snapshot drivers: a layer tar recorded while it
 * is applied comes back byte for byte from the layer's files, also when the layer removed
 * content it wrote itself (duplicate entries, a whiteout of its own file, a directory of files
 * replaced by a file), with PAX headers, hard links, an empty file, bytes after the end
 * blocks; a changed file makes regeneration differ (callers check the DiffID).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createTar } from '../../src/common/tar/index.ts';
import { splitTarSize, splitTarStream } from '../../src/common/tar/split.ts';
import type { SnapshotDriver } from '../../src/drivers/snapshot/contract.ts';
import { Overlay2Driver } from '../../src/drivers/snapshot/overlay2/driver.ts';
import { VfsDriver } from '../../src/drivers/snapshot/vfs/driver.ts';
import { chain, cleanup } from './snapshot-helpers.ts';

const drivers: [string, (root: string) => SnapshotDriver][] = [
  ['overlay2', (root) => new Overlay2Driver({ root })],
  ['vfs', (root) => new VfsDriver({ root })],
];
const T = 1600000000;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function regen(file: string, root: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of splitTarStream(file, root)) parts.push(c);
  return Buffer.concat(parts);
}

const base = () => createTar([
  { header: { name: 'etc', type: 'dir', mtime: T } },
  { header: { name: 'etc/hostname', type: 'file', mtime: T }, body: 'base\n' },
]);

const tricky = () => Buffer.concat([createTar([
  { header: { name: 'a', type: 'dir', mtime: T } },
  { header: { name: 'a/one', type: 'file', mtime: T }, body: 'first version\n' },
  { header: { name: 'a/one', type: 'file', mtime: T }, body: 'second version, longer\n' },
  { header: { name: 'a/gone', type: 'file', mtime: T }, body: 'written, then whited out\n' },
  { header: { name: 'a/.wh.gone', type: 'file', mtime: T } },
  { header: { name: 'd', type: 'dir', mtime: T } },
  { header: { name: 'd/x', type: 'file', mtime: T }, body: Buffer.alloc(5000, 3) },
  { header: { name: 'd/y/z', type: 'file', mtime: T }, body: 'deep\n' },
  { header: { name: 'd', type: 'file', mtime: T }, body: 'd is a file now\n' },
  { header: { name: 'etc/.wh.hostname', type: 'file', mtime: T } },
  { header: { name: `long/${'n'.repeat(150)}/file`, type: 'file', mtime: T + 0.5 }, body: 'pax\n' },
  { header: { name: 'hard', type: 'link', linkname: 'a/one', mtime: T } },
  { header: { name: 'empty', type: 'file', mtime: T }, body: '' },
  { header: { name: 'big', type: 'file', mtime: T }, body: Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 13) & 0xff)) },
  { header: { name: 'sym', type: 'symlink', linkname: '/etc/hostname', mtime: T } },
]), Buffer.alloc(3000)]); // docker's tars often end in extra zero blocks

for (const [name, make] of drivers) {
  describe(`tar-split over ${name}`, () => {
    test('layers come back byte for byte, removed own content included; a changed file shows', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-split-${name}-`));
      try {
        const d = make(path.join(root, 'drv'));
        const s0 = path.join(root, 's0');
        const b = base();
        await d.applyLayer(chain('b'), undefined, Readable.from([b]), { tarSplit: s0 });
        assert.deepEqual(await regen(s0, d.layerRoot(chain('b'))), b);
        const s1 = path.join(root, 's1');
        const t = tricky();
        const staged = await d.stageLayer(Readable.from([t]), { tarSplit: s1 });
        const r = await d.commitStaged(staged, chain('t'), chain('b'));
        assert.equal(r.diffId, sha(t));
        assert.equal(splitTarSize(s1), t.length);
        const back = await regen(s1, d.layerRoot(chain('t')));
        assert.equal(sha(back), sha(t));
        // The tar-split is far smaller than the tar (contents stay in the layer).
        assert.ok(fs.statSync(s1).size < 20_000, `tar-split is ${fs.statSync(s1).size} bytes`);
        const big = path.join(d.layerRoot(chain('t')), 'big');
        const fd = fs.openSync(big, 'r+');
        fs.writeSync(fd, Buffer.from('X'), 0, 1, 1000);
        fs.closeSync(fd);
        assert.notEqual(sha(await regen(s1, d.layerRoot(chain('t')))), sha(t), 'a changed byte changes the digest');
        fs.appendFileSync(big, 'x');
        await assert.rejects(regen(s1, d.layerRoot(chain('t'))), /not the file the layer wrote/);
        for (const f of [s0, s1]) assert.ok(fs.readdirSync(root).every((n) => !n.startsWith(`${path.basename(f)}.`)), 'no temp files left');
      } finally {
        await cleanup(root);
      }
    });

    test('a staged layer that is discarded leaves nothing; a failed apply leaves no tar-split', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-split-${name}-`));
      try {
        const d = make(path.join(root, 'drv'));
        const staged = await d.stageLayer(Readable.from([base()]), { tarSplit: path.join(root, 'x') });
        await d.discardStaged(staged);
        assert.deepEqual(fs.readdirSync(path.join(root, 'drv')).filter((n) => n.startsWith('.tmp-')), []);
        const bad = Buffer.concat([createTar([{ header: { name: '../escape', type: 'file', mtime: T }, body: 'x' }])]);
        await assert.rejects(d.applyLayer(chain('bad'), undefined, Readable.from([bad]), { tarSplit: path.join(root, 'y') }));
        assert.deepEqual(fs.readdirSync(root).filter((n) => n !== 'drv' && n !== 'x'), []);
      } finally {
        await cleanup(root);
      }
    });
  });
}
