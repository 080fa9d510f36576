/** k8s-file log reader (joining, follow, tail, speed) and the runtime-floor warning. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readK8sLog, readK8sLogBatches, type LogEntry } from '../../src/common/k8s-log.ts';
import { parseRuncVersion, runtimeWarnings } from '../../src/drivers/runtime/runc/version.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-k8slog-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const T = '2026-11-28T09:21:53.988719328+00:00';

async function collect(file: string, opts = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readK8sLog(file, opts)) out.push(e);
  return out;
}

test('joins P fragments per stream and keeps F lines', async () => {
  const f = path.join(dir, 'a.log');
  fs.writeFileSync(f, [
    `${T} stdout P hel`,
    `${T} stderr F err line`,
    `${T} stdout P lo `,
    `${T} stdout F world`,
    `${T} stdout F `,
    `${T} stdout P tail-without-newline`,
    '',
  ].join('\n'));
  const got = (await collect(f)).map((e) => [e.stream, e.line.toString()]);
  assert.deepEqual(got, [
    ['stderr', 'err line\n'],
    ['stdout', 'hello world\n'],
    ['stdout', '\n'],
    ['stdout', 'tail-without-newline'],
  ]);
});

test('tail, since/until and follow', async () => {
  const f = path.join(dir, 'b.log');
  const lines = Array.from({ length: 10 }, (_, i) => `2026-11-28T09:00:0${i}.000000001+00:00 stdout F l${i}`);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  assert.deepEqual((await collect(f, { tail: 2 })).map((e) => e.line.toString()), ['l8\n', 'l9\n']);
  assert.deepEqual((await collect(f, { tail: 0 })), []);
  const since = Date.parse('2026-11-28T09:00:07Z');
  assert.deepEqual((await collect(f, { since })).map((e) => e.line.toString()), ['l7\n', 'l8\n', 'l9\n']);
  const until = Date.parse('2026-11-28T09:00:01.5Z');
  assert.deepEqual((await collect(f, { until })).map((e) => e.line.toString()), ['l0\n', 'l1\n']);

  let stop!: () => void;
  const stopWhen = new Promise<void>((r) => { stop = r; });
  const seen: string[] = [];
  const reader = (async () => {
    for await (const e of readK8sLog(f, { follow: true, tail: 1, stopWhen })) {
      seen.push(e.line.toString());
      if (seen.length === 1) fs.appendFileSync(f, `${T} stdout P new-`);
      if (seen.length === 1) fs.appendFileSync(f, `\n${T} stdout F line\n`);
      if (seen.length === 2) stop();
    }
  })();
  await reader;
  assert.deepEqual(seen, ['l9\n', 'new-line\n']);
});

// Speed is a benchmark figure (bench/), not a timed assertion here.
test('a large log (10 MB, P fragments) reads back completely', async () => {
  const f = path.join(dir, 'big.log');
  const line = `${T} stdout F ${'x'.repeat(60)}\n`;
  const part = `${T} stderr P ${'y'.repeat(30)}\n`;
  const block = (line.repeat(8) + part + line.repeat(2)).repeat(1000);
  const fd = fs.openSync(f, 'w');
  let size = 0;
  while (size < 10 * 1024 * 1024) size += fs.writeSync(fd, block);
  fs.closeSync(fd);
  let n = 0;
  let bytes = 0;
  for await (const batch of readK8sLogBatches(f)) {
    n += batch.length;
    for (const e of batch) bytes += e.line.length;
  }
  assert.ok(n > 90_000, `entries ${n}`);
  assert.ok(bytes > 5_000_000, `bytes ${bytes}`);
});

test('runtime floor warning names the CVEs (check 9)', () => {
  const old = runtimeWarnings(parseRuncVersion('runc version 1.1.5\ncommit: v1.1.5-0-gf19387a\nspec: 1.0.2-dev\n'));
  assert.equal(old.length, 1);
  for (const cve of ['CVE-2024-21626', 'CVE-2025-31133', 'CVE-2025-52565', 'CVE-2025-52881']) assert.ok(old[0]!.includes(cve), cve);
  const deb = runtimeWarnings(parseRuncVersion('runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n'));
  assert.equal(deb.length, 1);
  assert.match(deb[0]!, /backport of the CVE-2024-21626 fix was detected/);
  for (const cve of ['CVE-2024-21626', 'CVE-2025-31133', 'CVE-2025-52565', 'CVE-2025-52881']) assert.ok(deb[0]!.includes(cve), cve);
  assert.deepEqual(runtimeWarnings(parseRuncVersion('runc version 1.3.3\n')), []);
  assert.deepEqual(runtimeWarnings(parseRuncVersion('runc version 1.2.8\n')), []);
  assert.equal(runtimeWarnings(parseRuncVersion('runc version 1.3.0\n')).length, 1);
});
