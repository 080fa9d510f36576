/** Build context confinement: scoped resolution, context extraction and source lookup (SECURITY-CHECKS 15). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createTar } from '../../src/common/tar/index.ts';
import { BuildContext, globToRegExp } from '../../src/engine/build/context.ts';
import { OutsideRootError, resolveInRoot } from '../../src/engine/build/scoped-fs.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-dfctx-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('resolveInRoot clamps .. and absolute links to the root; strict refuses them', () => {
  const root = path.join(tmp, 'r1');
  fs.mkdirSync(path.join(root, 'a'), { recursive: true });
  fs.symlinkSync('/etc', path.join(root, 'abs'));
  fs.symlinkSync('../../..', path.join(root, 'a', 'up'));
  fs.symlinkSync('b', path.join(root, 'a', 'rel'));
  assert.equal(resolveInRoot(root, 'abs/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(resolveInRoot(root, 'a/up/x'), path.join(root, 'x'));
  assert.equal(resolveInRoot(root, '../../x'), path.join(root, 'x'));
  assert.equal(resolveInRoot(root, 'a/rel'), path.join(root, 'a/b'));
  assert.equal(resolveInRoot(root, 'abs', { followLast: false }), path.join(root, 'abs'));
  assert.throws(() => resolveInRoot(root, 'abs/passwd', { strict: true }), OutsideRootError);
  assert.throws(() => resolveInRoot(root, 'a/up/x', { strict: true }), OutsideRootError);
});

const file = (name: string, body: string) => ({ header: { name, type: 'file' as const, size: body.length, mode: 0o644 }, body });

test('context extraction never writes outside; sources refuse escapes', async () => {
  const dir = path.join(tmp, 'ctx1');
  const marker = `wharf-unit-evil-${process.pid}`;
  const tar = createTar([
    file('Dockerfile', 'FROM x\n'), file('sub/a.txt', 'a'), file('sub/b.md', 'b'),
    { header: { name: 'root', type: 'symlink', linkname: '/' } }, file(`root/tmp/${marker}`, 'evil'),
    { header: { name: 'etc', type: 'symlink', linkname: '/etc' } },
  ]);
  const ctx = await BuildContext.extract(dir, Readable.from([tar]));
  assert.equal(fs.existsSync(`/tmp/${marker}`), false);
  assert.equal(fs.readFileSync(path.join(dir, 'tmp', marker), 'utf8'), 'evil');
  assert.equal(ctx.readDockerfile('Dockerfile'), 'FROM x\n');
  assert.deepEqual(ctx.sources('sub/*.txt', 'COPY').map((s) => s.rel), ['sub/a.txt']);
  assert.throws(() => ctx.sources('../x', 'COPY'), /forbidden path outside the build context: \.\.\/x/);
  assert.throws(() => ctx.sources('etc/passwd', 'COPY'), /forbidden path outside the build context/);
  assert.throws(() => ctx.sources('nope', 'COPY'), /file not found in build context/);
  await assert.rejects(BuildContext.extract(path.join(tmp, 'ctx2'), Readable.from([createTar([file('../up.txt', 'x')])])), /outside the build context/);
  assert.equal(fs.existsSync(path.join(tmp, 'up.txt')), false);
});

test('glob patterns do not cross /', () => {
  assert.ok(globToRegExp('*.txt').test('a.txt'));
  assert.ok(!globToRegExp('*.txt').test('d/a.txt'));
  assert.ok(globToRegExp('d/[ab]?.txt').test('d/a1.txt'));
});
