/**
 * Hostile layer tars against both snapshot drivers: path escapes, absolute paths, writes
 * through symlinks (from the same layer and from a parent layer), hard links out of the
 * layer, whiteouts through symlinks, device nodes. "Outside" is a sentinel directory; after
 * every attempt it must be untouched, and the layer must be either refused (error, no layer,
 * no temp dir left) or fully contained.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TarWriteEntry } from '../../src/common/tar/index.ts';
import type { SnapshotDriver } from '../../src/drivers/snapshot/contract.ts';
import { Overlay2Driver } from '../../src/drivers/snapshot/overlay2/driver.ts';
import { VfsDriver } from '../../src/drivers/snapshot/vfs/driver.ts';
import { chain, cleanup, listAll, tarOf } from './snapshot-helpers.ts';

type Entries = { header: TarWriteEntry['header']; body?: Buffer | string }[];

const drivers: [string, (root: string) => SnapshotDriver][] = [
  ['overlay2', (root) => new Overlay2Driver({ root })],
  ['vfs', (root) => new VfsDriver({ root })],
];

/** Attacks that must be refused outright. `o` is the sentinel dir's absolute path. */
const refused: [string, (o: string) => Entries][] = [
  ['../ escapes at every depth', () => [1, 2, 3, 4, 5, 6].map((n) => ({ header: { name: `${'../'.repeat(n)}escape`, type: 'file' as const }, body: 'x' }))],
  ['a/../../ escape', () => [{ header: { name: 'a/../../escape', type: 'file' }, body: 'x' }]],
  ['symlink to outside, then a file through it', (o) => [
    { header: { name: 'evil', type: 'symlink', linkname: o } },
    { header: { name: 'evil/file', type: 'file' }, body: 'pwned' },
  ]],
  ['symlink to /, then a file through it', () => [
    { header: { name: 'evil', type: 'symlink', linkname: '/' } },
    { header: { name: 'evil/wharf-pwned-root', type: 'file' }, body: 'pwned' },
  ]],
  ['relative symlink up, then a dir through it', () => [
    { header: { name: 'rel', type: 'symlink', linkname: '../../../../../../..' } },
    { header: { name: 'rel/x', type: 'dir' } },
  ]],
  ['symlink, then a symlink through it', (o) => [
    { header: { name: 'evil', type: 'symlink', linkname: o } },
    { header: { name: 'evil/l', type: 'symlink', linkname: '/etc' } },
  ]],
  ['hard link to a host file', () => [{ header: { name: 'h', type: 'link', linkname: '/etc/hostname' } }]],
  ['hard link to a relative escape', () => [{ header: { name: 'h', type: 'link', linkname: '../../x' } }]],
  ['hard link through a symlink of the layer', (o) => [
    { header: { name: 'evil', type: 'symlink', linkname: o } },
    { header: { name: 'h', type: 'link', linkname: 'evil/file' } },
  ]],
  ['hard link to a directory', () => [{ header: { name: 'd', type: 'dir' } }, { header: { name: 'h', type: 'link', linkname: 'd' } }]],
  ['whiteout escape', () => [{ header: { name: '../../.wh.file', type: 'file' } }]],
  ['device node through a symlink', (o) => [
    { header: { name: 'evil', type: 'symlink', linkname: o } },
    { header: { name: 'evil/dev', type: 'block', devmajor: 8, devminor: 0 } },
  ]],
  ['truncated tar', () => [{ header: { name: 'big', type: 'file', size: 4096 }, body: 'short' }]],
];

for (const [name, make] of drivers) {
  describe(`snapshot driver ${name} against hostile layers`, () => {
    const setup = (t: { after: (fn: () => void) => void }) => {
      const base = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-evil-${name}-`));
      t.after(() => cleanup(base));
      const outside = path.join(base, 'outside');
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, 'file'), 'sentinel');
      const root = path.join(base, 'store', 'deep', 'er', name);
      const d = make(root);
      const untouched = () => {
        assert.deepEqual(listAll(outside), ['file']);
        assert.equal(fs.readFileSync(path.join(outside, 'file'), 'utf8'), 'sentinel');
        assert.deepEqual(fs.readdirSync(base).sort(), ['outside', 'store']);
        assert.deepEqual(fs.readdirSync(path.join(base, 'store')), ['deep']);
        assert.deepEqual(fs.readdirSync(path.join(base, 'store', 'deep')), ['er']);
        assert.deepEqual(fs.readdirSync(path.join(base, 'store', 'deep', 'er')), [name]);
        assert.deepEqual(fs.readdirSync(root).filter((n) => n.startsWith('.')), [], 'no temp dir left');
      };
      return { d, outside, root, untouched };
    };

    for (const [what, entries] of refused) {
      test(`refuses: ${what}`, async (t) => {
        const { d, outside, untouched } = setup(t);
        const id = chain(what);
        await assert.rejects(d.applyLayer(id, undefined, tarOf(entries(outside))));
        assert.equal(d.hasLayer(id), false);
        assert.deepEqual(d.list().layers, []);
        assert.ok(!fs.existsSync('/wharf-pwned-root'));
        untouched();
      });
    }

    test('absolute paths are made relative and contained', async (t) => {
      const { d, outside, untouched } = setup(t);
      const id = chain('abs');
      await d.applyLayer(id, undefined, tarOf([
        { header: { name: `${outside}/file`, type: 'file' }, body: 'inside' },
        { header: { name: '/abs/path', type: 'file' }, body: 'a' },
        { header: { name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 } },
        { header: { name: 'okl', type: 'symlink', linkname: '/etc/shadow' } },
      ]));
      await d.prepare('c', id);
      const view = await d.mount('c');
      assert.equal(fs.readFileSync(path.join(view, outside, 'file'), 'utf8'), 'inside');
      assert.equal(fs.readFileSync(path.join(view, 'abs/path'), 'utf8'), 'a');
      assert.ok(fs.lstatSync(path.join(view, 'dev/sda')).isBlockDevice());
      assert.equal(fs.readlinkSync(path.join(view, 'okl')), '/etc/shadow');
      untouched();
      await d.remove('c');
    });

    test('a later layer cannot write or whiteout through a parent layer symlink', async (t) => {
      const { d, outside, untouched } = setup(t);
      const [c1, c2] = [chain('p1'), chain('p2')];
      await d.applyLayer(c1, undefined, tarOf([
        { header: { name: 'link', type: 'symlink', linkname: outside } },
        { header: { name: 'rel', type: 'symlink', linkname: '../../../../../../outside' } },
      ]));
      await d.applyLayer(c2, c1, tarOf([
        { header: { name: 'link/pwned', type: 'file' }, body: 'x' },
        { header: { name: 'link/.wh.file', type: 'file' } },
        { header: { name: 'rel/.wh.file', type: 'file' } },
        { header: { name: 'rel/.wh..wh..opq', type: 'file' } },
      ]));
      untouched();
      await d.prepare('c', c2);
      const view = await d.mount('c');
      // As overlayfs shows it: `link` became a real directory holding the new file.
      assert.ok(fs.lstatSync(path.join(view, 'link')).isDirectory());
      assert.equal(fs.readFileSync(path.join(view, 'link/pwned'), 'utf8'), 'x');
      untouched();
      await d.remove('c');
    });

    test('duplicate entries replace, never follow', async (t) => {
      const { d, outside, untouched } = setup(t);
      const id = chain('dup');
      await d.applyLayer(id, undefined, tarOf([
        { header: { name: 'f', type: 'file' }, body: 'one' },
        { header: { name: 'f', type: 'symlink', linkname: `${outside}/file` } },
        { header: { name: 'f', type: 'file' }, body: 'two' },
        { header: { name: 'g', type: 'symlink', linkname: `${outside}/file` } },
        { header: { name: 'g', type: 'file' }, body: 'three' },
      ]));
      await d.prepare('c', id);
      const view = await d.mount('c');
      assert.equal(fs.readFileSync(path.join(view, 'f'), 'utf8'), 'two');
      assert.equal(fs.readFileSync(path.join(view, 'g'), 'utf8'), 'three');
      untouched();
      await d.remove('c');
    });
  });
}
