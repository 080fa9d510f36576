/**
 * conmon's k8s-file log read back: records cut by the reader's 1 MiB reads at any point,
 * partial (P) records joined with their final (F) one, stdout/stderr kept apart, the same
 * result whether or not the read buffer is reused between batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readK8sLogBatches } from '../../src/common/k8s-log.ts';

function writeLog(): { file: string; expected: { stream: string; line: string }[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-k8slog-'));
  const file = path.join(dir, 'c-json.log');
  const expected: { stream: string; line: string }[] = [];
  const chunks: string[] = [];
  let i = 0;
  let size = 0;
  const MiB = 1024 * 1024;
  // ~3 MiB: records of varied lengths so that the 1 MiB read boundaries fall everywhere, and a
  // split long line right across each boundary.
  while (size < 3 * MiB) {
    const stream = i % 7 === 3 ? 'stderr' : 'stdout';
    const time = `2026-11-28T13:40:43.${String(i).padStart(9, '0')}+00:00`;
    // A long line conmon split into partial records.
    const parts = ['a'.repeat(3000 + i % 500), 'b'.repeat(2000), 'c'.repeat(17 + i % 13)];
    const recs = [`${time} ${stream} P ${parts[0]}\n`, `${time} ${stream} P ${parts[1]}\n`, `${time} ${stream} F ${parts[2]}\n`];
    // The next MiB boundary inside the second record: the first one is complete in one read
    // and must outlive it.
    const boundary = (Math.floor(size / MiB) + 1) * MiB;
    const straddles = size + recs[0]!.length < boundary && boundary < size + recs[0]!.length + recs[1]!.length;
    if (i % 97 === 5 || straddles) {
      chunks.push(...recs);
      size += recs.reduce((n, r) => n + r.length, 0);
      expected.push({ stream, line: `${parts.join('')}\n` });
    } else {
      const body = `line-${i}-${'x'.repeat(i % 211)}`;
      const rec = `${time} ${stream} F ${body}\n`;
      chunks.push(rec);
      size += rec.length;
      expected.push({ stream, line: `${body}\n` });
    }
    i++;
  }
  fs.writeFileSync(file, chunks.join(''));
  return { file, expected };
}

const { file, expected } = writeLog();

for (const reuseBuffer of [false, true]) {
  test(`every record survives the read boundaries (reuseBuffer: ${reuseBuffer})`, async () => {
    const got: { stream: string; line: string }[] = [];
    // Lines are only valid until the next batch: take copies, as the API's writers do.
    for await (const batch of readK8sLogBatches(file, { reuseBuffer })) {
      for (const e of batch) got.push({ stream: e.stream, line: e.line.toString('utf8') });
    }
    assert.equal(got.length, expected.length);
    assert.deepEqual(got, expected);
  });
}

test('tail with a reused buffer keeps the last lines intact', async () => {
  const got: string[] = [];
  for await (const batch of readK8sLogBatches(file, { reuseBuffer: true, tail: 3 })) {
    for (const e of batch) got.push(e.line.toString('utf8'));
  }
  assert.deepEqual(got, expected.slice(-3).map((e) => e.line));
});
