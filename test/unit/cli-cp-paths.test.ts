import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertsDirectory, decodePathStat, isDirMode, prepareArchiveCopy, rebaseEntry, safeJoin, splitCpArg, splitPathDirEntry } from '../../src/cli/cp-paths.ts';

test('cp argument split', () => {
  assert.deepEqual(splitCpArg('web:/etc/hosts'), ['web', '/etc/hosts']);
  assert.deepEqual(splitCpArg('/tmp/a:b'), [undefined, '/tmp/a:b']);
  assert.deepEqual(splitCpArg('./x'), [undefined, './x']);
  assert.deepEqual(splitCpArg('-'), [undefined, '-']);
});

test('SplitPathDirEntry and directory assertions', () => {
  assert.deepEqual(splitPathDirEntry('/a/b'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/.'), ['/a/b', '.']);
  assert.deepEqual(splitPathDirEntry('/'), ['/', '/']);
  assert.deepEqual(splitPathDirEntry('rel'), ['.', 'rel']);
  assert.equal(assertsDirectory('/x/'), true);
  assert.equal(assertsDirectory('/x/.'), true);
  assert.equal(assertsDirectory('/x'), false);
});

test('PrepareArchiveCopy rules', () => {
  // dst is an existing dir: extract into it as is.
  assert.deepEqual(prepareArchiveCopy({ path: '/src/f', exists: true, isDir: false }, { path: '/dst', exists: true, isDir: true }), { dstDir: '/dst' });
  // dst missing, src file: extract into parent, renamed to dst's base.
  assert.deepEqual(prepareArchiveCopy({ path: '/src/f', exists: true, isDir: false }, { path: '/dst/new', exists: false, isDir: false }), { dstDir: '/dst', rebase: { from: 'f', to: 'new' } });
  // dst missing, src dir: the created directory takes dst's name.
  assert.deepEqual(prepareArchiveCopy({ path: '/src/d', exists: true, isDir: true }, { path: '/dst/n', exists: false, isDir: false }), { dstDir: '/dst', rebase: { from: 'd', to: 'n' } });
  // contents of a directory (`/.`) into a new directory.
  assert.deepEqual(prepareArchiveCopy({ path: '/src/d/.', exists: true, isDir: true }, { path: '/dst/n', exists: false, isDir: false }), { dstDir: '/dst', rebase: { from: '.', to: 'n' } });
  // existing file dst, file src: rename onto it.
  assert.deepEqual(prepareArchiveCopy({ path: '/src/f', exists: true, isDir: false }, { path: '/dst/g', exists: true, isDir: false }), { dstDir: '/dst', rebase: { from: 'f', to: 'g' } });
  assert.throws(() => prepareArchiveCopy({ path: '/src/d', exists: true, isDir: true }, { path: '/dst/g', exists: true, isDir: false }), { message: 'cannot copy directory' });
  assert.throws(() => prepareArchiveCopy({ path: '/src/f', exists: true, isDir: false }, { path: '/dst/nodir/', exists: false, isDir: false }), { message: 'no such directory' });
});

test('entry rebase, safe join, stat header', () => {
  assert.equal(rebaseEntry('d/x/y', { from: 'd', to: 'n' }), 'n/x/y');
  assert.equal(rebaseEntry('./x', { from: '.', to: 'n' }), 'n/x');
  assert.equal(rebaseEntry('f', undefined), 'f');
  assert.equal(safeJoin('/tmp/t', '../../etc/passwd'), '/tmp/t/etc/passwd');
  const st = decodePathStat(Buffer.from(JSON.stringify({ name: 'etc', size: 4096, mode: 2147484141, mtime: '', linkTarget: '' })).toString('base64'))!;
  assert.equal(st.name, 'etc');
  assert.equal(isDirMode(st.mode), true);
  assert.equal(isDirMode(0o644), false);
});
