/** TarPushReader: the same entries and bytes as TarReader, however the input is cut. */
import { test } from 'node:test';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import { createTar, TarReader } from '../../src/common/tar/index.ts';
import { TarPushReader } from '../../src/common/tar/push-reader.ts';

const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
const tar = createTar([
  { header: { name: 'a.txt', type: 'file', size: 5, mode: 0o644 }, body: 'hello' },
  { header: { name: 'dir', type: 'dir' } },
  { header: { name: long, type: 'file', size: 700, mode: 0o600 }, body: 'x'.repeat(700) },
  { header: { name: 'dir/link', type: 'symlink', linkname: `/${'t'.repeat(200)}` } },
  { header: { name: 'empty', type: 'file', size: 0 }, body: '' },
  { header: { name: 'hard', type: 'link', linkname: 'a.txt' } },
]);

function pushAll(buf: Buffer, step: number, lenient = false): string[] {
  const out: string[] = [];
  let body = '';
  const p = new TarPushReader({
    entry: (h) => { body = ''; out.push(`${h.type} ${h.name} ${h.linkname} ${h.size}`); },
    data: (c) => { body += c.toString(); },
    end: () => { out.push(`body ${body.length} ${body.slice(0, 5)}`); },
  });
  for (let o = 0; o < buf.length; o += step) p.push(buf.subarray(o, o + step));
  p.finish({ lenient });
  return out;
}

test('same entries as TarReader for any chunking', async () => {
  const want: string[] = [];
  for await (const { header: h, body } of new TarReader(Readable.from([tar]))) {
    want.push(`${h.type} ${h.name} ${h.linkname} ${h.size}`);
    let b = '';
    for await (const c of body) b += c.toString();
    want.push(`body ${b.length} ${b.slice(0, 5)}`);
  }
  for (const step of [1, 7, 511, 512, 513, 4096, tar.length]) assert.deepEqual(pushAll(tar, step), want, `step ${step}`);
});

test('truncation: mid-data always fails; after data only when lenient', () => {
  const first = createTar([{ header: { name: 'a', type: 'file', size: 5 }, body: 'hello' }]);
  assert.throws(() => pushAll(first.subarray(0, 512 + 3), 512), /unexpected EOF/);
  assert.throws(() => pushAll(first.subarray(0, 512 + 5), 512), /unexpected EOF/);
  assert.deepEqual(pushAll(first.subarray(0, 512 + 5), 512, true), ['file a  5', 'body 5 hello']);
  assert.throws(() => pushAll(first.subarray(0, 100), 512, true), /unexpected EOF/);
  const bad = Buffer.from(first);
  bad[0] ^= 1;
  assert.throws(() => pushAll(bad, 512), /checksum/);
});
