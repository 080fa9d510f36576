/** Own tar reader/writer: round trips, long names, PAX xattrs, GNU tar interop, gzip, digests. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { TarReader, createTar, encodeHeader, tarStream, type TarHeader } from '../../src/common/tar/index.ts';

async function readAll(input: Buffer | Readable, chunk = 1000): Promise<{ entries: { header: TarHeader; data: Buffer }[]; digest: string }> {
  const src = Buffer.isBuffer(input) ? Readable.from(split(input, chunk)) : input;
  const r = new TarReader(src, { digest: true });
  const entries: { header: TarHeader; data: Buffer }[] = [];
  for await (const { header, body } of r) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(Buffer.from(c));
    entries.push({ header, data: Buffer.concat(parts) });
  }
  return { entries, digest: r.digest() };
}

function* split(b: Buffer, n: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('round trip of every entry type with metadata', async () => {
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x0a, 0xff, 0x00]);
  const tar = createTar([
    { header: { name: 'etc', type: 'dir', mode: 0o755, mtime: 1700000000 } },
    { header: { name: 'etc/passwd', type: 'file', mode: 0o4755, uid: 1000, gid: 2000, mtime: 1700000001, uname: 'u', gname: 'g' }, body: 'root:x:0:0\n' },
    { header: { name: 'etc/link', type: 'link', linkname: 'etc/passwd' } },
    { header: { name: 'etc/sym', type: 'symlink', linkname: '/abs/target' } },
    { header: { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 } },
    { header: { name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 } },
    { header: { name: 'fifo', type: 'fifo' } },
    { header: { name: 'bin/ping', type: 'file', xattrs: new Map([['security.capability', cap], ['user.a', Buffer.from('b=c\n')]]) }, body: 'x' },
  ]);
  const { entries, digest } = await readAll(tar, 7);
  assert.equal(digest, sha(tar));
  assert.deepEqual(entries.map((e) => [e.header.name, e.header.type]), [
    ['etc/', 'dir'], ['etc/passwd', 'file'], ['etc/link', 'link'], ['etc/sym', 'symlink'], ['dev/null', 'char'],
    ['dev/sda', 'block'], ['fifo', 'fifo'], ['bin/ping', 'file'],
  ]);
  const p = entries[1].header;
  assert.equal(p.mode, 0o4755);
  assert.deepEqual([p.uid, p.gid, p.mtime, p.uname, p.gname, p.size], [1000, 2000, 1700000001, 'u', 'g', 11]);
  assert.equal(entries[1].data.toString(), 'root:x:0:0\n');
  assert.equal(entries[2].header.linkname, 'etc/passwd');
  assert.equal(entries[3].header.linkname, '/abs/target');
  assert.deepEqual([entries[4].header.devmajor, entries[4].header.devminor], [1, 3]);
  assert.deepEqual(entries[7].header.xattrs.get('security.capability'), cap);
  assert.deepEqual(entries[7].header.xattrs.get('user.a'), Buffer.from('b=c\n'));
});

test('long names, long link targets, big ids and fractional mtimes go through PAX', async () => {
  const long = `${'d'.repeat(120)}/${'ü'.repeat(90)}/file`;
  const tar = createTar([
    { header: { name: long, type: 'file', uid: 99999999, gid: 88888888, mtime: 1700000000.25 }, body: 'hi' },
    { header: { name: 'l', type: 'symlink', linkname: 'x/'.repeat(200) } },
  ]);
  const { entries } = await readAll(tar, 513);
  assert.equal(entries[0].header.name, long);
  assert.equal(entries[0].header.uid, 99999999);
  assert.equal(entries[0].header.gid, 88888888);
  assert.equal(entries[0].header.mtime, 1700000000.25);
  assert.equal(entries[0].data.toString(), 'hi');
  assert.equal(entries[1].header.linkname, 'x/'.repeat(200));
});

test('GNU tar reads what we write, and we read GNU tar long names (L/K) and PAX', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-tar-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const longDir = 'a'.repeat(150);
  fs.mkdirSync(path.join(dir, 'src', longDir), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', longDir, 'f'), 'content');
  fs.symlinkSync('t'.repeat(140), path.join(dir, 'src', 'sym'));
  for (const format of ['gnu', 'posix']) {
    const out = execFileSync('tar', [`--format=${format}`, '-C', path.join(dir, 'src'), '-cf', '-', '.'], { maxBuffer: 1 << 26 });
    const { entries } = await readAll(out);
    const f = entries.find((e) => e.header.name === `./${longDir}/f`);
    assert.ok(f, `${format}: long name read`);
    assert.equal(f.data.toString(), 'content');
    assert.equal(entries.find((e) => e.header.name === './sym')?.header.linkname, 't'.repeat(140));
  }
  const ours = path.join(dir, 'ours.tar');
  fs.writeFileSync(ours, createTar([{ header: { name: `${longDir}/${longDir}`, type: 'file' }, body: 'z' }]));
  assert.equal(execFileSync('tar', ['-tf', ours]).toString().trim(), `${longDir}/${longDir}`);
});

test('gzip input is detected and the digest is of the uncompressed tar', async () => {
  const tar = createTar([{ header: { name: 'a', type: 'file' }, body: Buffer.alloc(100000, 7) }]);
  const { entries, digest } = await readAll(gzipSync(tar), 333);
  assert.equal(entries[0].data.length, 100000);
  assert.equal(digest, sha(tar));
});

test('streams a large body in pieces through tarStream with back-pressure', async () => {
  const size = 8 * 1024 * 1024 + 3;
  async function* body() {
    for (let left = size; left > 0; left -= 65536) yield Buffer.alloc(Math.min(65536, left), 1);
  }
  const stream = Readable.from(tarStream([{ header: { name: 'big', type: 'file', size }, body: body() }, { header: { name: 'd', type: 'dir' } }]));
  const r = new TarReader(stream, { digest: true });
  let total = 0;
  let chunks = 0;
  const names: string[] = [];
  for await (const { header, body: b } of r) {
    names.push(header.name);
    for await (const c of b) { total += c.length; chunks++; }
  }
  assert.deepEqual(names, ['big', 'd/']);
  assert.equal(total, size);
  assert.ok(chunks > 10);
  assert.match(r.digest(), /^sha256:[0-9a-f]{64}$/);
});

test('unread bodies are skipped; trailing bytes after the end marker are hashed', async () => {
  const tar = Buffer.concat([createTar([{ header: { name: 'a', type: 'file' }, body: 'aaaa' }, { header: { name: 'b', type: 'file' }, body: 'bb' }]), Buffer.alloc(4096)]);
  const r = new TarReader(Readable.from([tar]), { digest: true });
  const names: string[] = [];
  for await (const e of r) names.push(e.header.name);
  assert.deepEqual(names, ['a', 'b']);
  assert.equal(r.digest(), sha(tar));
});

test('truncated and corrupt archives are errors', async () => {
  const tar = createTar([{ header: { name: 'a', type: 'file' }, body: Buffer.alloc(2000) }]);
  await assert.rejects(readAll(tar.subarray(0, 1200)), /unexpected EOF/);
  const bad = Buffer.from(tar);
  bad[10] ^= 1;
  await assert.rejects(readAll(bad), /checksum/);
  assert.equal(encodeHeader({ name: 'x', type: 'file' }).length, 512);
});
