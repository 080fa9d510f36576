import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nowNs, rfc3339Ns } from '../../src/common/time-ns.ts';
import { LineRecords } from '../../src/common/line-records.ts';

test('rfc3339Ns keeps every fraction digit, any offset', () => {
  assert.equal(rfc3339Ns('1970-01-01T00:00:01.123456789Z'), 1_123_456_789n);
  assert.equal(rfc3339Ns('1970-01-01T01:00:01.5+01:00'), 1_500_000_000n);
  assert.equal(rfc3339Ns('1970-01-01T00:00:00Z'), 0n);
  assert.equal(rfc3339Ns('1969-12-31T23:59:59.5Z'), -500_000_000n);
  assert.equal(rfc3339Ns('not a time'), undefined);
  const before = BigInt(Date.now()) * 1_000_000n;
  const n = nowNs();
  assert.ok(n >= before && n < before + 1_000_000_000n);
});

test('LineRecords joins a record cut between chunks and keeps a last one without its newline', () => {
  class Lines extends LineRecords<string[]> {
    protected record(buf: Buffer, start: number, nl: number, out: string[]): void {
      assert.equal(buf[nl], 0x0a);
      out.push(buf.toString('latin1', start, nl));
    }
    drop(): void { this.dropRest(); }
  }
  const p = new Lines();
  const out: string[] = [];
  p.feed(Buffer.from('a\nbc'), out);
  p.feed(Buffer.from('d'), out);
  p.feed(Buffer.from('e\n\nf'), out);
  assert.deepEqual(out, ['a', 'bcde', '']);
  p.feed(Buffer.from('g\n'), out);
  assert.deepEqual(out, ['a', 'bcde', '', 'fg']);
  p.feed(Buffer.from('h'), out);
  p.drop();
  p.feed(Buffer.from('i\n'), out);
  assert.deepEqual(out, ['a', 'bcde', '', 'fg', 'i']);
});
