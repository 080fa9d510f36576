/**
 * docker/go-units formatting and parsing (size_test.go and duration_test.go cases) as
 * docker's CLI shows sizes, ages and accepts --memory style values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesSize, humanDuration, humanSize, parseBytes, parseSize, timeAgo,
} from '../../src/common/human.ts';
import { InvalidArgumentError } from '../../src/common/errors.ts';

const KB = 1000, MB = 1000 * KB, GB = 1000 * MB, TB = 1000 * GB, PB = 1000 * TB;
const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB, TiB = 1024 * GiB, PiB = 1024 * TiB;

describe('humanSize (decimal, %.3g as docker images/ps)', () => {
  it('formats with 3 significant digits', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1000), '1kB');
    assert.equal(humanSize(5200), '5.2kB');
    assert.equal(humanSize(1_234_567), '1.23MB');
    assert.equal(humanSize(72_800_000), '72.8MB');
    assert.equal(humanSize(187_000_000), '187MB');
    assert.equal(humanSize(1e9), '1GB');
    assert.equal(humanSize(1_125_000), '1.12MB'); // Go rounds the exact tie to even
    assert.equal(humanSize(999_999), '1e+03kB'); // go-units quirk, kept
  });
  it('go-units HumanSize cases at precision 4', () => {
    assert.equal(humanSize(1000, 4), '1kB');
    assert.equal(humanSize(1024, 4), '1.024kB');
    assert.equal(humanSize(1_000_000, 4), '1MB');
    assert.equal(humanSize(1_048_576, 4), '1.049MB');
    assert.equal(humanSize(2 * MB, 4), '2MB');
    assert.equal(humanSize(3.42 * GB, 4), '3.42GB');
    assert.equal(humanSize(5.372 * TB, 4), '5.372TB');
    assert.equal(humanSize(2.22 * PB, 4), '2.22PB');
    assert.equal(humanSize(10_000_000_000_000 * PB, 4), '1e+04YB');
  });
});

describe('bytesSize (binary, %.4g as docker stats)', () => {
  it('go-units BytesSize cases', () => {
    assert.equal(bytesSize(1024), '1KiB');
    assert.equal(bytesSize(1024 * 1024), '1MiB');
    assert.equal(bytesSize(1_048_576), '1MiB');
    assert.equal(bytesSize(2 * MiB), '2MiB');
    assert.equal(bytesSize(3.42 * GiB), '3.42GiB');
    assert.equal(bytesSize(5.372 * TiB), '5.372TiB');
    assert.equal(bytesSize(2.22 * PiB), '2.22PiB');
    assert.equal(bytesSize(1.5 * MiB), '1.5MiB');
    assert.equal(bytesSize(0), '0B');
    assert.equal(bytesSize(512), '512B');
  });
});

describe('humanDuration (go-units duration_test.go)', () => {
  const s = 1000, m = 60 * s, h = 60 * m, day = 24 * h, week = 7 * day, month = 30 * day, year = 365 * day;
  const cases: [number, string][] = [
    [450, 'Less than a second'], [-5 * s, 'Less than a second'], [1 * s, '1 second'], [45 * s, '45 seconds'],
    [46 * s, '46 seconds'], [59 * s, '59 seconds'], [60 * s, 'About a minute'], [1 * m, 'About a minute'],
    [3 * m, '3 minutes'], [35 * m, '35 minutes'], [35 * m + 40 * s, '35 minutes'], [45 * m, '45 minutes'],
    [45 * m + 40 * s, '45 minutes'], [46 * m, '46 minutes'], [59 * m, '59 minutes'], [1 * h, 'About an hour'],
    [1 * h + 29 * m, 'About an hour'], [1 * h + 31 * m, '2 hours'], [1 * h + 59 * m, '2 hours'],
    [3 * h, '3 hours'], [3 * h + 29 * m, '3 hours'], [3 * h + 31 * m, '4 hours'], [3 * h + 59 * m, '4 hours'],
    [3 * h + 60 * m, '4 hours'], [24 * h, '24 hours'], [1 * day + 12 * h, '36 hours'], [2 * day, '2 days'],
    [7 * day, '7 days'], [13 * day + 5 * h, '13 days'], [2 * week, '2 weeks'], [2 * week + 4 * day, '2 weeks'],
    [3 * week, '3 weeks'], [4 * week, '4 weeks'], [4 * week + 3 * day, '4 weeks'], [1 * month, '4 weeks'],
    [1 * month + 2 * week, '6 weeks'], [2 * month, '2 months'], [2 * month + 2 * week, '2 months'],
    [3 * month, '3 months'], [3 * month + 1 * week, '3 months'], [5 * month + 2 * week, '5 months'],
    [13 * month, '13 months'], [23 * month, '23 months'], [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'], [3 * year + 2 * month, '3 years'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms}ms → ${want}`, () => assert.equal(humanDuration(ms), want));
  }
  it('timeAgo appends " ago" and accepts dates, numbers and strings', () => {
    const now = new Date('2024-06-01T12:00:00Z');
    assert.equal(timeAgo(new Date('2024-06-01T11:57:00Z'), now), '3 minutes ago');
    assert.equal(timeAgo('2024-06-01T09:00:00Z', now), '3 hours ago');
    assert.equal(timeAgo(now.getTime() - 500, now.getTime()), 'Less than a second ago');
  });
});

describe('parseSize (FromHumanSize, decimal)', () => {
  const ok: [string, number][] = [
    ['0', 0], ['0b', 0], ['0B', 0], ['0 B', 0], ['32', 32], ['32b', 32], ['32B', 32], ['32k', 32 * KB],
    ['32K', 32 * KB], ['32kb', 32 * KB], ['32Kb', 32 * KB], ['32Kib', 32 * KB], ['32KIB', 32 * KB],
    ['32Mb', 32 * MB], ['32Gb', 32 * GB], ['32Tb', 32 * TB], ['32Pb', 32 * PB], ['32.5kB', 32.5 * KB],
    ['32.5 kB', 32.5 * KB], ['32.5 B', 32], ['0.3 K', 300], ['.3kB', 300], ['0.', 0], ['0. ', 0],
    ['0.b', 0], ['0.B', 0], ['-0', 0], ['-0b', 0], ['-0B', 0], ['-0 b', 0], ['-0 B', 0], ['32.', 32],
    ['32.b', 32], ['32.B', 32], ['32. b', 32], ['32. B', 32], ['0 ', 0],
  ];
  for (const [input, want] of ok) it(`accepts ${JSON.stringify(input)}`, () => assert.equal(parseSize(input), want));
  const bad = [
    ' 0', ' 0b', ' 0B', ' 0 B', '0b ', '0B ', '0 B ', '', 'hello', '.', '. ', ' ', '  ', ' .', ' . ', '-32',
    '-32b', '-32B', '-32 b', '-32 B', '32b.', '32B.', '32 b.', '32 B.', '32 bb', '32 BB', '32 b b', '32 B B',
    '32  b', '32  B', ' 32 ', '32m b', '32bm',
  ];
  for (const input of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => assert.throws(() => parseSize(input), InvalidArgumentError));
  }
});

describe('parseBytes (RAMInBytes, binary)', () => {
  it('accepts docker memory values', () => {
    assert.equal(parseBytes('32'), 32);
    assert.equal(parseBytes('32b'), 32);
    assert.equal(parseBytes('32B'), 32);
    assert.equal(parseBytes('32k'), 32 * KiB);
    assert.equal(parseBytes('32K'), 32 * KiB);
    assert.equal(parseBytes('32kb'), 32 * KiB);
    assert.equal(parseBytes('32Kb'), 32 * KiB);
    assert.equal(parseBytes('32Kib'), 32 * KiB);
    assert.equal(parseBytes('32KIB'), 32 * KiB);
    assert.equal(parseBytes('32Mb'), 32 * MiB);
    assert.equal(parseBytes('32Gb'), 32 * GiB);
    assert.equal(parseBytes('32Tb'), 32 * TiB);
    assert.equal(parseBytes('32Pb'), 32 * PiB);
    assert.equal(parseBytes('32PB'), 32 * PiB);
    assert.equal(parseBytes('32P'), 32 * PiB);
    assert.equal(parseBytes('32.3'), 32);
    assert.equal(parseBytes('32.3 mb'), Math.trunc(32.3 * MiB));
    assert.equal(parseBytes('0.3MB'), Math.trunc(0.3 * MiB));
    assert.equal(parseBytes('64m'), 64 * MiB);
    assert.equal(parseBytes('1.5g'), 1.5 * GiB);
  });
  it('rejects garbage with go-units messages', () => {
    for (const input of ['', 'hello', '-32', '-32b', '32.3 mb ', 'm', '32x', '32kk', '32mib ']) {
      assert.throws(() => parseBytes(input), InvalidArgumentError, input);
    }
    assert.throws(() => parseBytes('hello'), { message: "invalid size: 'hello'" });
    assert.throws(() => parseBytes('-32'), { message: "invalid size: '-32'" });
    assert.throws(() => parseBytes('32x'), { message: "invalid suffix: 'x'" });
    assert.throws(() => parseBytes('32 bb'), { message: "invalid suffix: 'bb'" });
    assert.throws(() => parseBytes('3 2'), { message: 'strconv.ParseFloat: parsing "3 2": invalid syntax' });
  });
});
