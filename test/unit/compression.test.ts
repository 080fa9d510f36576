/**
 * common/compression.ts: detection by magic bytes, each format through its decompressor
 * (processes and zlib), a corrupt stream's error names the format, an error of the source
 * (a failed digest check) is what the reader sees, and output is not lost when the reader
 * comes late (a finished process's unread output).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { compressGzip, compressZstd, decompress, detectCompression } from '../../src/common/compression.ts';

const tool = (cmd: string, b: Buffer) => spawnSync(cmd, ['-c'], { input: b, maxBuffer: 1 << 28 }).stdout;

async function all(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 'a')]);

test('each format is detected and decompressed; plain passes through', async () => {
  const cases: [string, Buffer][] = [['gzip', gzipSync(data)], ['zstd', tool('/usr/bin/zstd', data)], ['xz', tool('/usr/bin/xz', data)], ['bzip2', tool('/usr/bin/bzip2', data)], ['none', data]];
  for (const [kind, packed] of cases) {
    assert.equal(detectCompression(packed), kind);
    const { stream, compression } = await decompress(Readable.from([packed.subarray(0, 3), packed.subarray(3)]));
    assert.equal(compression, kind);
    assert.ok((await all(stream)).equals(data), kind);
  }
  for (const mode of ['zlib', 'pigz']) {
    process.env.WHARF_GZIP = mode;
    try {
      assert.ok((await all((await decompress(Readable.from([gzipSync(data)]))).stream)).equals(data), mode);
    } finally {
      delete process.env.WHARF_GZIP;
    }
  }
});

test('a corrupt stream fails naming the format; a source error wins over the process', async () => {
  const z = tool('/usr/bin/zstd', data);
  const bad = Buffer.from(z);
  bad[Math.floor(bad.length / 2)]! ^= 0xff;
  await assert.rejects(all((await decompress(Readable.from([bad]))).stream), /^Error: zstd: |zstd/);
  const g = gzipSync(data);
  const truncated = g.subarray(0, g.length - 100);
  await assert.rejects(all((await decompress(Readable.from([truncated]))).stream), /gzip/);
  const failing = Readable.from((async function* () {
    yield z.subarray(0, 1000);
    throw new Error('digest verification failed');
  })());
  await assert.rejects(all((await decompress(failing)).stream), /digest verification failed/);
});

test('compressors round-trip, also when the reader starts after the process ended', async () => {
  for (const make of [compressGzip, compressZstd]) {
    const out = make(Readable.from([data]));
    await new Promise((r) => setTimeout(r, 300));
    const packed = await all(out);
    assert.ok((await all((await decompress(Readable.from([packed]))).stream)).equals(data));
  }
});
