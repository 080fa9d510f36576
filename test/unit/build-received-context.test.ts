/** The received build context (a tree over a spool): confinement, hard links, the content hash, copies. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createTar } from '../../src/common/tar/index.ts';
import { ReceivedContext } from '../../src/engine/build/received-context.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-rctx-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, body: string, mode = 0o644, mtime = 1_600_000_000) => ({ header: { name, type: 'file' as const, size: body.length, mode, mtime }, body });
let n = 0;
const receive = (entries: Parameters<typeof createTar>[0], memoryLimit?: number) => ReceivedContext.receive(path.join(tmp, `c${n++}`), Readable.from([createTar(entries)]), memoryLimit);

test('entries stay inside; sources refuse escapes; the Dockerfile is read from the spool', async () => {
  const marker = `wharf-unit-evil-${process.pid}`;
  const ctx = await receive([
    file('Dockerfile', 'FROM x\n'), file('sub/a.txt', 'a'), file('sub/b.md', 'b'),
    { header: { name: 'root', type: 'symlink', linkname: '/' } }, file(`root/tmp/${marker}`, 'evil'),
    { header: { name: 'etc', type: 'symlink', linkname: '/etc' } },
  ]);
  assert.equal(fs.existsSync(`/tmp/${marker}`), false);
  assert.equal(ctx.sources(`tmp/${marker}`, 'COPY')[0]!.node.size, 4);
  assert.deepEqual(ctx.locateDockerfile('Dockerfile'), { name: 'Dockerfile', text: 'FROM x\n' });
  const empty = await receive([file('Dockerfile', '')]);
  assert.deepEqual(empty.locateDockerfile('Dockerfile'), { name: 'Dockerfile', text: '' });
  empty.close();
  assert.deepEqual(ctx.sources('sub/*.txt', 'COPY').map((s) => s.rel), ['sub/a.txt']);
  assert.throws(() => ctx.sources('../x', 'COPY'), /forbidden path outside the build context: \.\.\/x/);
  assert.throws(() => ctx.sources('etc/passwd', 'COPY'), /forbidden path outside the build context/);
  assert.throws(() => ctx.sources('nope', 'COPY'), /file not found in build context/);
  ctx.close();
  await assert.rejects(receive([file('../up.txt', 'x')]), /outside the build context/);
  await assert.rejects(receive([{ header: { name: 'h', type: 'link', linkname: 'missing' } }]), /invalid hardlink/);
});

test('compressed contexts (gzip in-process) and a body cut mid-entry', async () => {
  const { gzipSync } = await import('node:zlib');
  const tar = createTar([file('Dockerfile', 'FROM y\n')]);
  for (const chunks of [[gzipSync(tar)], [gzipSync(tar).subarray(0, 3), gzipSync(tar).subarray(3)]]) {
    const ctx = await ReceivedContext.receive(path.join(tmp, `c${n++}`), Readable.from(chunks));
    assert.equal(ctx.locateDockerfile('Dockerfile').text, 'FROM y\n');
    ctx.close();
  }
  const plainSplit = await ReceivedContext.receive(path.join(tmp, `c${n++}`), Readable.from([tar.subarray(0, 2), tar.subarray(2)]));
  assert.equal(plainSplit.locateDockerfile('Dockerfile').text, 'FROM y\n');
  plainSplit.close();
  await assert.rejects(ReceivedContext.receive(path.join(tmp, `c${n++}`), Readable.from([tar.subarray(0, 515)])), /unexpected EOF/);
  const empty = await ReceivedContext.receive(path.join(tmp, `c${n++}`), Readable.from([]));
  assert.throws(() => empty.locateDockerfile('Dockerfile'), /Cannot locate specified Dockerfile/);
  empty.close();
});

test('.dockerignore drops only the Dockerfile and itself', async () => {
  const ctx = await receive([file('Dockerfile', 'FROM x\n'), file('.dockerignore', 'Dockerfile\n.dockerignore\n*.md\n'), file('a.md', 'a')]);
  ctx.removeIgnoredBuildFiles('Dockerfile');
  assert.deepEqual(ctx.entries(ctx.sources('.', 'COPY')[0]!.node).map(([name]) => name), ['a.md']);
  ctx.close();
});

test('the content hash follows bytes, modes, names and links, not times', async () => {
  const hashOf = async (entries: Parameters<typeof createTar>[0], src = '.') => {
    const ctx = await receive(entries);
    const [s] = ctx.sources(src, 'COPY');
    const h = ctx.hash(s!.node, s!.rel);
    ctx.close();
    return `${h.kind}:${h.hex}`;
  };
  const base = await hashOf([file('d/a', 'one'), file('d/b', 'two')]);
  assert.match(base, /^dir:[0-9a-f]{64}$/);
  assert.equal(await hashOf([file('d/b', 'two', 0o644, 5), file('d/a', 'one', 0o644, 7)]), base);
  assert.notEqual(await hashOf([file('d/a', 'one'), file('d/b', 'twO')]), base);
  assert.notEqual(await hashOf([file('d/a', 'one'), file('d/b', 'two', 0o755)]), base);
  assert.notEqual(await hashOf([file('d/a', 'one'), file('d/c', 'two')]), base);
  assert.notEqual(await hashOf([file('d/a', 'one'), { header: { name: 'd/b', type: 'symlink', linkname: 'a' } }]), base);
  assert.notEqual(await hashOf([file('a', 'x')], 'a'), await hashOf([file('b', 'x')], 'b'));
});

test('copyInto writes files, links and trees with their modes and times, owned as asked (spool partly on disk)', async () => {
  const big = 'z'.repeat(3 << 20);
  const ctx = await receive([
    file('t/x', 'hello', 0o4755, 1_500_000_000), file('t/big', big), { header: { name: 't/l', type: 'symlink', linkname: '/etc/passwd' } },
    { header: { name: 't/h', type: 'link', linkname: 't/x' } },
  ], 1000);
  const out = path.join(tmp, 'out');
  fs.mkdirSync(out);
  fs.symlinkSync('/etc', path.join(out, 't'));
  ctx.copyInto(ctx.sources('t', 'COPY')[0]!.node, path.join(out, 't'), { uid: 0, gid: 0 });
  assert.ok(fs.lstatSync(path.join(out, 't')).isDirectory());
  assert.equal(fs.readFileSync(path.join(out, 't/x'), 'utf8'), 'hello');
  assert.equal(fs.readFileSync(path.join(out, 't/h'), 'utf8'), 'hello');
  assert.equal(fs.readFileSync(path.join(out, 't/big'), 'utf8'), big);
  assert.equal(fs.statSync(path.join(out, 't/x')).mode & 0o7777, 0o4755);
  assert.equal(fs.statSync(path.join(out, 't/x')).mtimeMs, 1_500_000_000_000);
  assert.equal(fs.readlinkSync(path.join(out, 't/l')), '/etc/passwd');
  ctx.close();
});
