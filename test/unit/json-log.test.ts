/**
 * docker's json-file lines: written as Go writes them (key order, escapes, RFC3339Nano UTC),
 * read back byte for byte by the fast decoder and by the JSON.parse fallback, across any cut.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLogParser, encodeJsonLogInto, encodeJsonLogLine, goJsonString, k8sTimeToUtc, rfc3339NanoUtc } from '../../src/common/json-log.ts';
import type { LogEntry } from '../../src/common/k8s-log.ts';

test('times: conmon\'s local stamps become RFC3339Nano UTC with Go\'s trimmed fraction', () => {
  assert.equal(k8sTimeToUtc('2026-12-07T04:11:30.123456789+00:00'), '2026-12-07T04:11:30.123456789Z');
  assert.equal(k8sTimeToUtc('2026-12-07T04:11:30.120000000+00:00'), '2026-12-07T04:11:30.12Z');
  assert.equal(k8sTimeToUtc('2026-12-07T04:11:30.000000000+00:00'), '2026-12-07T04:11:30Z');
  assert.equal(k8sTimeToUtc('2026-12-07T00:11:30.5+01:30'), '2026-12-06T22:41:30.5Z');
  assert.equal(k8sTimeToUtc('2026-12-07T23:59:59.000000001-02:00'), '2026-12-08T01:59:59.000000001Z');
  assert.equal(k8sTimeToUtc('garbage'), undefined);
  assert.equal(rfc3339NanoUtc(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 600)), 7000), '2026-01-02T03:04:05.600007Z');
});

test('encoding: Go\'s escapes, key order, fast path equal to the general one', () => {
  assert.equal(goJsonString('a<b>&c\u2028\b\f\\b'), '"a\\u003cb\\u003e\\u0026c\\u2028\\u0008\\u000c\\\\b"');
  const time = '2026-12-07T04:11:30.1Z';
  const samples = ['plain ascii', 'quote " and \\ back', 'tab\tand\rcr', 'héllo wörld ✓ 😀', '<html>&amp;', '\x00\x01\x1f', 'bad \xff utf8'];
  for (const text of samples) {
    for (const newline of [true, false]) {
      const payload = Buffer.from(text, text.includes('\xff') ? 'latin1' : 'utf8');
      const out = Buffer.alloc(1024);
      const n = encodeJsonLogInto(out, 0, 'stderr', payload, newline, time);
      const line = out.toString('utf8', 0, n);
      assert.equal(line, encodeJsonLogLine('stderr', newline ? Buffer.concat([payload, Buffer.from('\n')]) : payload, time));
      const o = JSON.parse(line);
      assert.deepEqual(Object.keys(o), ['log', 'stream', 'time']);
      assert.equal(o.log, payload.toString('utf8') + (newline ? '\n' : ''));
    }
  }
  assert.equal(encodeJsonLogInto(Buffer.alloc(10), 0, 'stdout', Buffer.from('x'), true, time), -1, 'no room: -1');
});

test('decoding: the bytes come back whatever the cut, fast path or JSON.parse', () => {
  const time = '2026-12-07T04:11:30.123456789Z';
  const lines: { stream: 'stdout' | 'stderr'; log: string }[] = [];
  for (let i = 0; i < 500; i++) {
    lines.push({ stream: i % 3 ? 'stdout' : 'stderr', log: `line ${i} ${'é'.repeat(i % 5)}${i % 7 ? '\n' : ''}${i % 11 ? '' : ' \u0001 \\ " 😀 \u2029 <>&'}` });
  }
  let text = lines.map((l) => encodeJsonLogLine(l.stream, l.log, time)).join('');
  // A line with extra keys (docker's attrs) and one in another order: JSON.parse reads them.
  text += `{"log":"attrs\\n","stream":"stdout","attrs":{"a":"b"},"time":"${time}"}\n{"time":"${time}","stream":"stderr","log":"reordered\\n"}\nnot json\n`;
  const expected = [...lines.map((l) => [l.stream, l.log]), ['stdout', 'attrs\n'], ['stderr', 'reordered\n']];
  for (const cut of [1, 7, 64, 1000, Buffer.byteLength(text)]) {
    {
      // The parser decodes in place: a fresh copy of the bytes for each read.
      const bytes = Buffer.from(text);
      const p = new JsonLogParser();
      const got: [string, string][] = [];
      for (let off = 0; off < bytes.length; off += cut) {
        const batch: LogEntry[] = [];
        p.feed(bytes.subarray(off, off + cut), batch);
        for (const e of batch) { assert.equal(e.time, time); got.push([e.stream, e.line.toString('utf8')]); }
      }
      assert.deepEqual(got, expected, `cut ${cut}`);
    }
  }
});
