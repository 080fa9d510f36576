/** ContainerFs: symlinks resolve inside the container root and its mounts, never on the host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerFs, cleanContainerPath } from '../../src/engine/containers/tools/path-resolve.ts';
import { cleanEntryName } from '../../src/engine/containers/tools/extract.ts';

function tree(): { root: string; vol: string; cleanup: () => void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-resolve-'));
  const root = path.join(base, 'root');
  const vol = path.join(base, 'vol');
  for (const d of ['tmp', 'etc', 'a/b', 'data']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.mkdirSync(vol);
  fs.writeFileSync(path.join(root, 'etc/hostname'), 'ctr\n');
  fs.symlinkSync('/tmp', path.join(root, 'hostlink'));
  fs.symlinkSync('../../../tmp', path.join(root, 'rellink'));
  fs.symlinkSync('/loop2', path.join(root, 'loop1'));
  fs.symlinkSync('/loop1', path.join(root, 'loop2'));
  fs.symlinkSync('../etc', path.join(root, 'a/up'));
  fs.symlinkSync('/etc', path.join(vol, 'etclink'));
  fs.symlinkSync('/data', path.join(root, 'datalink'));
  return { root, vol, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

test('cleanContainerPath never climbs above /', () => {
  assert.equal(cleanContainerPath('../../etc/x/'), '/etc/x');
  assert.equal(cleanContainerPath(''), '/');
  assert.equal(cleanContainerPath('/a/./b/../c'), '/a/c');
});

test('absolute and relative symlinks resolve inside the root', (t) => {
  const { root, cleanup } = tree();
  t.after(cleanup);
  const cfs = new ContainerFs(root, []);
  assert.deepEqual(cfs.resolve('/hostlink/x'), { path: '/tmp/x', host: `${root}/tmp/x` });
  assert.deepEqual(cfs.resolve('/rellink/x'), { path: '/tmp/x', host: `${root}/tmp/x` });
  assert.deepEqual(cfs.resolve('../../etc/hostname'), { path: '/etc/hostname', host: `${root}/etc/hostname` });
  assert.equal(cfs.resolve('/a/up/hostname').path, '/etc/hostname');
  assert.equal(cfs.resolve('/a/b/../../etc').path, '/etc');
  // Nonexistent components are plain names.
  assert.equal(cfs.resolve('/nope/../hostlink/new').host, `${root}/tmp/new`);
});

test('the final symlink is kept unless asked to follow it', (t) => {
  const { root, cleanup } = tree();
  t.after(cleanup);
  const cfs = new ContainerFs(root, []);
  assert.equal(cfs.resolve('/hostlink', false).host, `${root}/hostlink`);
  assert.equal(cfs.resolve('/hostlink', true).host, `${root}/tmp`);
  assert.equal(cfs.resolve('/rellink/', true).path, '/tmp');
});

test('symlink loops are refused', (t) => {
  const { root, cleanup } = tree();
  t.after(cleanup);
  assert.throws(() => new ContainerFs(root, []).resolve('/loop1/x'), /too many links/);
});

test('mounts map container paths to their host sources; links in them stay in scope', (t) => {
  const { root, vol, cleanup } = tree();
  t.after(cleanup);
  const cfs = new ContainerFs(root, [{ destination: '/data/', source: vol, readOnly: true }, { destination: '/etc/hostname', source: '/dev/null', readOnly: false }]);
  const r = cfs.resolve('/data/f');
  assert.equal(r.host, `${vol}/f`);
  assert.equal(r.mount?.readOnly, true);
  assert.equal(cfs.resolve('/datalink/f').host, `${vol}/f`);
  // /data/etclink -> /etc: the container's /etc, not the host's.
  assert.equal(cfs.resolve('/data/etclink/passwd').host, `${root}/etc/passwd`);
  assert.equal(cfs.resolve('/data/../etc/hostname').host, '/dev/null');
  assert.equal(cfs.resolve('/database').host, `${root}/database`);
});

test('archive entry names may not climb above the extraction point', () => {
  assert.equal(cleanEntryName('/abs/x'), 'abs/x');
  assert.equal(cleanEntryName('./a/../b/'), 'b');
  assert.equal(cleanEntryName('./'), '');
  assert.throws(() => cleanEntryName('../x'), /outside of the extraction point/);
  assert.throws(() => cleanEntryName('a/../../x'), /outside of the extraction point/);
});
