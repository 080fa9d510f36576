/**
 * The HTTP edge of container output (src/api/routers/containers/output.ts): the engine's
 * (stream, bytes) become raw bytes on a TTY and stdcopy frames otherwise; a log batch is one
 * write; the one framer and the one demultiplexer (src/api/types/stdcopy.ts) agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { StdDemuxer, StdStream, frame, frameLines, frameRuns } from '../../src/api/types/stdcopy.ts';
import { hijackedClient, responseLogSink, streamContentType } from '../../src/api/routers/containers/output.ts';
import type { HijackedStream } from '../../src/api/server/context.ts';

function fakeHijacked(): HijackedStream & { written: Buffer[] } {
  const written: Buffer[] = [];
  return {
    written,
    input: new PassThrough(),
    write: (c) => { written.push(Buffer.from(c)); return true; },
    end: () => {},
    drained: async () => {},
    closed: new Promise(() => {}),
    isClosed: false,
  };
}

const demux = (b: Buffer) => new StdDemuxer().push(b).map(([s, d]) => [s, d.toString()]);

test('content types: raw on a TTY, multiplexed otherwise', () => {
  assert.equal(streamContentType(true), 'application/vnd.docker.raw-stream');
  assert.equal(streamContentType(false), 'application/vnd.docker.multiplexed-stream');
});

test('an attach client without a TTY gets a stdcopy frame per chunk; with one, the bytes as they are', () => {
  const h = fakeHijacked();
  const c = hijackedClient(h, false);
  c.write(1, Buffer.from('out'));
  c.write(2, Buffer.from('err'));
  c.write(3, Buffer.from('system'));
  assert.deepEqual(h.written.map((b) => [...b.subarray(0, 8)]), [[1, 0, 0, 0, 0, 0, 0, 3], [2, 0, 0, 0, 0, 0, 0, 3], [3, 0, 0, 0, 0, 0, 0, 6]]);
  assert.deepEqual(demux(Buffer.concat(h.written)), [[1, 'out'], [2, 'err'], [3, 'system']]);
  const t = fakeHijacked();
  const raw = hijackedClient(t, true);
  raw.write(1, Buffer.from('a'));
  raw.write(2, Buffer.from('b'));
  assert.equal(Buffer.concat(t.written).toString(), 'ab');
});

test('a log batch is one write: a frame per run, the parts of a run joined and copied', () => {
  const writes: Buffer[] = [];
  const res = { write: (b: Buffer) => { writes.push(b); return true; }, writableNeedDrain: false } as unknown as ServerResponse;
  const reused = Buffer.from('line1\nline2\n');
  const runs = [{ stream: 1, parts: [Buffer.from('ts '), reused.subarray(0, 6)] }, { stream: 2, parts: [reused.subarray(6)] }] as const;
  responseLogSink(res, false).writeRuns(runs);
  reused.fill(0);
  assert.equal(writes.length, 1);
  assert.deepEqual(demux(writes[0]!), [[1, 'ts line1\n'], [2, 'line2\n']]);
  writes.length = 0;
  responseLogSink(res, true).writeRuns([{ stream: 1, parts: [Buffer.from('a'), Buffer.from('b')] }, { stream: 2, parts: [Buffer.from('c')] }]);
  assert.deepEqual(writes.map(String), ['abc']);
  writes.length = 0;
  responseLogSink(res, true).writeRuns([{ stream: 1, parts: [Buffer.alloc(0)] }]);
  assert.equal(writes.length, 0, 'nothing to write: no write');
});

test('frame and frameRuns agree; the demultiplexer takes frames split anywhere and refuses unknown streams', () => {
  assert.deepEqual(frame(2, Buffer.from('xyz')), frameRuns([{ stream: 2, parts: [Buffer.from('xy'), Buffer.from('z')] }], false));
  const all = Buffer.concat([frame(1, Buffer.from('hello')), frame(2, Buffer.alloc(0)), frame(2, Buffer.from('e'))]);
  const d = new StdDemuxer();
  const got: [number, string][] = [];
  for (let i = 0; i < all.length; i++) for (const [s, p] of d.push(all.subarray(i, i + 1))) got.push([s, p.toString()]);
  assert.deepEqual(got, [[1, 'hello'], [2, ''], [2, 'e']]);
  assert.equal(d.pending, 0);
  assert.throws(() => new StdDemuxer().push(Buffer.from([7, 0, 0, 0, 0, 0, 0, 0])), /Unrecognized input header: 7/);
});

test('frameLines: a frame per kept line (prefix included), none made for a left-out line; raw keeps the bytes only', () => {
  type Item = { s: string; l: string };
  const items: Item[] = [{ s: 'out', l: 'a\n' }, { s: 'err', l: 'bb\n' }, { s: 'skip', l: 'zz\n' }];
  const batch = {
    items,
    streamOf: (i: Item) => (i.s === 'out' ? StdStream.Stdout : i.s === 'err' ? StdStream.Stderr : undefined),
    lineOf: (i: Item) => Buffer.from(i.l),
  };
  const framed = frameLines(batch, false);
  assert.deepEqual(new StdDemuxer().push(framed).map(([s, d]) => [s, d.toString()]), [[StdStream.Stdout, 'a\n'], [StdStream.Stderr, 'bb\n']]);
  const stamped = frameLines({ ...batch, prefixOf: () => Buffer.from('T ') }, false);
  assert.deepEqual(new StdDemuxer().push(stamped).map(([, d]) => d.toString()), ['T a\n', 'T bb\n']);
  assert.equal(frameLines(batch, true).toString(), 'a\nbb\n');
  assert.equal(frameLines({ ...batch, items: [] }, false).length, 0);
});
