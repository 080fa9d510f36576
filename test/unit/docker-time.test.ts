/**
 * docker-time.ts: moby's GetTimestamp / ParseTimestamps and Go's ParseDuration. The expected
 * messages were read from the reference dockerd 20.10 (`until` of network prune, events/logs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPruneUntil, getTimestamp, keptByUntil, parseGoDuration, parseTimestamps, pruneUntil, timestampMs } from '../../src/api/types/docker-time.ts';

process.env.TZ = 'UTC'; // dates without a zone are local time, as in docker
const NOW = 1_700_000_000_000; // 2023-11-14T22:13:20Z
const SEC = NOW / 1000;

test('Go durations: values and units', () => {
  assert.equal(parseGoDuration('24h'), 24 * 3600e9);
  assert.equal(parseGoDuration('1h30m'), 5400e9);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('-10m'), -600e9);
  assert.equal(parseGoDuration('+10s'), 10e9);
  assert.equal(parseGoDuration('.5s'), 0.5e9);
  assert.equal(parseGoDuration('1h2m3s4ms5us6ns'), 3723004005006);
  assert.equal(parseGoDuration('1µs'), 1000);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-0'), 0);
});

test('Go durations: Go\'s messages', () => {
  const msg = (v: string) => { try { parseGoDuration(v); return 'ok'; } catch (e) { return (e as Error).message; } };
  assert.equal(msg('abc'), 'time: invalid duration "abc"');
  assert.equal(msg(''), 'time: invalid duration ""');
  assert.equal(msg('24x'), 'time: unknown unit "x" in duration "24x"');
  assert.equal(msg('1.2.3'), 'time: missing unit in duration "1.2.3"');
  assert.equal(msg('10'), 'time: missing unit in duration "10"');
  assert.equal(msg('2006-13-01'), 'time: unknown unit "-" in duration "2006-13-01"');
  assert.equal(msg('.s'), 'time: invalid duration ".s"');
  assert.equal(msg('9223372036854775808ns'), 'time: invalid duration "9223372036854775808ns"');
  assert.equal(msg('3000000h'), 'time: invalid duration "3000000h"');
});

test('GetTimestamp: durations are before now, in whole seconds', () => {
  assert.equal(getTimestamp('24h', NOW), String(SEC - 86400));
  assert.equal(getTimestamp('1h30m', NOW), String(SEC - 5400));
  assert.equal(getTimestamp('1.5h', NOW), String(SEC - 5400));
  assert.equal(getTimestamp('-10m', NOW), String(SEC + 600));
  assert.equal(getTimestamp('0s', NOW), String(SEC));
  assert.equal(getTimestamp('1ms', NOW + 500), String(SEC)); // Go's Unix() floors
});

test('GetTimestamp: dates and RFC 3339 (local zone is UTC here, as the reference)', () => {
  assert.equal(getTimestamp('2006-01-02', NOW), '1136160000.000000000');
  assert.equal(getTimestamp('2006-01-02T15', NOW), '1136214000.000000000');
  assert.equal(getTimestamp('2006-01-02T15:04', NOW), '1136214240.000000000');
  assert.equal(getTimestamp('2006-01-02T15:04:05', NOW), '1136214245.000000000');
  assert.equal(getTimestamp('2006-01-02T15:04:05Z', NOW), '1136214245.000000000');
  assert.equal(getTimestamp('2006-01-02T15:04:05.5', NOW), '1136214245.500000000');
  assert.equal(getTimestamp('2006-01-02T15:04:05.123456789Z', NOW), '1136214245.123456789');
  assert.equal(getTimestamp('2006-01-02T15:04:05+01:00', NOW), '1136210645.000000000');
  assert.equal(getTimestamp('2006-01-02T15:04:05-07:00', NOW), '1136239445.000000000');
  assert.equal(getTimestamp('2006-01-02T15:04+01:00', NOW), '1136210640.000000000');
  assert.equal(getTimestamp('2006-01-02T15Z', NOW), '1136214000.000000000');
  assert.equal(getTimestamp('2006-01-02Z', NOW), '1136160000.000000000');
  assert.equal(getTimestamp('2020-02-29', NOW), '1582934400.000000000');
});

test('GetTimestamp: unix seconds pass through unchanged', () => {
  assert.equal(getTimestamp('1234567890', NOW), '1234567890');
  assert.equal(getTimestamp('1234567890.123456789', NOW), '1234567890.123456789');
  assert.equal(getTimestamp('0', NOW), '0');
  assert.equal(getTimestamp('1.5', NOW), '1.5');
});

test('GetTimestamp: docker\'s messages for bad values', () => {
  const msg = (v: string) => { try { getTimestamp(v, NOW); return 'ok'; } catch (e) { return (e as Error).message; } };
  assert.equal(msg('abc'), 'failed to parse value as time or duration: "abc"');
  assert.equal(msg(''), 'failed to parse value as time or duration: ""');
  assert.equal(msg('24x'), 'failed to parse value as time or duration: "24x"');
  assert.equal(msg('1e3'), 'failed to parse value as time or duration: "1e3"');
  assert.equal(msg('12345678901234567890'), 'failed to parse value as time or duration: "12345678901234567890"');
  assert.equal(msg('2006-13-01'), 'parsing time "2006-13-01": month out of range');
  assert.equal(msg('2020-02-30'), 'parsing time "2020-02-30": day out of range');
  assert.equal(msg('2020-01-01T25:00'), 'parsing time "2020-01-01T25:00": hour out of range');
  assert.equal(msg('2020-01-01T10:61'), 'parsing time "2020-01-01T10:61": minute out of range');
  assert.equal(msg('2020-01-01T10:00:60'), 'parsing time "2020-01-01T10:00:60": second out of range');
  assert.equal(msg('2020-01-01x'), 'parsing time "2020-01-01x": extra text: "x"');
  assert.equal(msg('2020-01-01 10:00:00'), 'parsing time "2020-01-01 10:00:00": extra text: " 10:00:00"');
  assert.equal(msg('2020-1-01'), 'parsing time "2020-1-01" as "2006-01-02": cannot parse "1-01" as "01"');
  assert.equal(msg('abc-def'), 'parsing time "abc-def" as "2006-01-02": cannot parse "abc-def" as "2006"');
  assert.equal(msg('-1.5'), 'parsing time "-1.5" as "2006-01-02T15:04:05.999999999": cannot parse "-1.5" as "2006"');
  assert.equal(msg('1.-5'), 'parsing time "1.-5" as "2006-01-02T15:04:05.999999999": cannot parse "" as "2006"');
  assert.equal(msg('2020-01-01T10:00:00z'), 'parsing time "2020-01-01T10:00:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"');
});

test('ParseTimestamps (events/logs API): unix seconds only, strconv messages', () => {
  assert.equal(parseTimestamps(null), undefined);
  assert.equal(parseTimestamps(''), undefined);
  assert.equal(parseTimestamps('1700000000'), 1700000000);
  assert.equal(parseTimestamps('1700000000.5'), 1700000000.5);
  assert.equal(parseTimestamps('-5'), -5);
  const msg = (v: string) => { try { parseTimestamps(v); return 'ok'; } catch (e) { return (e as Error).message; } };
  assert.equal(msg('10m'), 'strconv.ParseInt: parsing "10m": invalid syntax');
  assert.equal(msg('2020-01-01T00:00:00Z'), 'strconv.ParseInt: parsing "2020-01-01T00:00:00Z": invalid syntax');
  assert.equal(msg('1.abc'), 'strconv.ParseInt: parsing "abc": invalid syntax');
  assert.equal(msg(' 5'), 'strconv.ParseInt: parsing " 5": invalid syntax');
  assert.equal(msg('99999999999999999999'), 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
});

test('prune until: one value, ms cutoff; an undatable object is kept', () => {
  assert.equal(pruneUntil(undefined, NOW), undefined);
  assert.equal(pruneUntil([], NOW), undefined);
  assert.equal(pruneUntil(['24h'], NOW), NOW - 86_400_000);
  assert.equal(pruneUntil(['1700000000.25'], NOW), 1_700_000_000_250);
  assert.throws(() => pruneUntil(['1h', '2h'], NOW), { message: 'more than one until filter specified' });
  assert.throws(() => pruneUntil(['24x'], NOW), { message: 'failed to parse value as time or duration: "24x"' });
  assert.equal(timestampMs('2006-01-02T15:04:05Z', NOW), 1136214245000);
  // A fresh object survives until=24h; an old one does not; an unreadable date is never pruned.
  const cutoff = pruneUntil(['24h'], NOW)!;
  assert.equal(keptByUntil(new Date(NOW - 5000).toISOString(), cutoff), true);
  assert.equal(keptByUntil(new Date(NOW - 2 * 86_400_000).toISOString(), cutoff), false);
  assert.equal(keptByUntil('not a date', cutoff), true);
  assert.equal(keptByUntil(undefined, cutoff), true);
  assert.equal(keptByUntil(NaN, cutoff), true);
  assert.equal(keptByUntil(cutoff, cutoff), false); // docker prunes what was created at the cutoff
});

test('build prune until: a duration only, BuildKit\'s message', () => {
  assert.equal(buildPruneUntil(['24h']), 86_400_000);
  assert.throws(() => buildPruneUntil(['2020-01-01']), { message: 'failed to prune build cache: "until" filter expects a duration (e.g., \'24h\'): time: unknown unit "-" in duration "2020-01-01"' });
  assert.throws(() => buildPruneUntil(['abc']), { message: 'failed to prune build cache: "until" filter expects a duration (e.g., \'24h\'): time: invalid duration "abc"' });
});

test('logs window: since/until compared to the nanosecond, as docker does', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { readK8sLogBatches } = await import('../../src/common/k8s-log.ts');
  const { parseUnixTime, unixTimeNs } = await import('../../src/api/types/docker-time.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dt-'));
  const f = path.join(dir, 'log');
  fs.writeFileSync(f, ['2020-01-01T00:00:00.123456789Z stdout F a', '2020-01-01T00:00:00.123456790Z stdout F b', '2020-01-01T00:00:00.124000000Z stdout F c', ''].join('\n'));
  const read = async (since?: string, until?: string) => {
    const s = parseUnixTime(since), u = parseUnixTime(until);
    const out: string[] = [];
    const opts = { since: s && s.sec * 1000 + s.nsec / 1e6, until: u && u.sec * 1000 + u.nsec / 1e6, sinceNs: s && unixTimeNs(s), untilNs: u && unixTimeNs(u) };
    for await (const b of readK8sLogBatches(f, opts)) out.push(...b.map((e) => e.line.toString().trim()));
    return out.join('');
  };
  assert.equal(await read('1577836800.123456789'), 'abc');
  assert.equal(await read('1577836800.12345679'), 'bc');
  assert.equal(await read(undefined, '1577836800.123456789'), 'a');
  assert.equal(await read('1577836800.123456790', '1577836800.123456790'), 'b');
  fs.rmSync(dir, { recursive: true });
});
