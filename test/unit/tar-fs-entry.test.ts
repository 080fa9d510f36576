import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fsEntry, typeOfStat, type LinkMap } from '../../src/common/tar/fs-entry.ts';

async function body(e: ReturnType<typeof fsEntry>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of e!.body! as AsyncIterable<Buffer>) parts.push(b);
  return Buffer.concat(parts);
}

test('fsEntry: files, hard links as tar links, sockets skipped, a shrunk file padded or refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-fs-entry-'));
  try {
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, 'hello');
    fs.linkSync(f, path.join(dir, 'g'));
    const links: LinkMap = new Map();
    const st = fs.lstatSync(f);
    const e = fsEntry(f, 'f', st, links, { shrunk: 'throw' })!;
    assert.equal(e.header.type, 'file');
    assert.equal(e.header.size, 5);
    assert.equal((await body(e)).toString(), 'hello');
    const l = fsEntry(path.join(dir, 'g'), 'g', fs.lstatSync(path.join(dir, 'g')), links, { shrunk: 'throw' })!;
    assert.deepEqual([l.header.type, l.header.linkname], ['link', 'f']);
    assert.equal(typeOfStat(fs.lstatSync(dir)), 'dir');
    fs.truncateSync(f, 2);
    assert.deepEqual(await body(fsEntry(f, 'f', st, new Map(), { shrunk: 'pad' })), Buffer.from('he\0\0\0'));
    await assert.rejects(body(fsEntry(f, 'f', st, new Map(), { shrunk: 'throw' })), /shrank/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
