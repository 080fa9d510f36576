/**
 * How `GET /containers/{id}/logs` frames what it sends: a finished read packs runs of
 * same-stream lines into frames of up to 64 KiB (so clients write once per frame, not per
 * line); order within a stream and stdout/stderr separation hold; `follow` keeps one frame per line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

interface Frame { stream: number; payload: Buffer }

function getFrames(sock: string, p: string): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath: sock, path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const frames: Frame[] = [];
        for (let off = 0; off < buf.length;) {
          const len = buf.readUInt32BE(off + 4);
          frames.push({ stream: buf[off]!, payload: buf.subarray(off + 8, off + 8 + len) });
          off += 8 + len;
        }
        resolve(frames);
      });
    }).on('error', reject);
  });
}

test('a finished read batches lines per stream, keeps their order, and stays within 64 KiB frames', async () => {
  // 3000 stdout lines, one stderr line, 3000 more stdout lines.
  const r = await d.cli(['run', '--name', 'framed', 'bb', 'sh', '-c', 'seq 1 3000; echo oops >&2; seq 3001 6000']);
  assert.equal(r.code, 0, r.stderr);
  const frames = await getFrames(d.sock, '/containers/framed/logs?stdout=1&stderr=1');
  const out = frames.filter((f) => f.stream === 1).map((f) => f.payload.toString()).join('');
  const err = frames.filter((f) => f.stream === 2).map((f) => f.payload.toString()).join('');
  assert.equal(out, Array.from({ length: 6000 }, (_, i) => `${i + 1}\n`).join(''));
  assert.equal(err, 'oops\n');
  assert.ok(frames.length < 20, `${frames.length} frames for 6001 lines`);
  for (const f of frames) assert.ok(f.payload.length <= 64 * 1024 + 4096, `frame of ${f.payload.length} bytes`);
  // (Where the stderr line falls among the stdout ones depends on which pipe the monitor read
  // first, as with docker.)

  const ts = await getFrames(d.sock, '/containers/framed/logs?stdout=1&timestamps=1&tail=3');
  const lines = ts.map((f) => f.payload.toString()).join('').split('\n').filter(Boolean);
  assert.equal(lines.length, 3);
  for (const [i, l] of lines.entries()) assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${5998 + i}$`));

  const followed = await getFrames(d.sock, '/containers/framed/logs?stdout=1&stderr=1&follow=1&tail=5');
  assert.deepEqual(followed.map((f) => f.payload.toString()), ['5996\n', '5997\n', '5998\n', '5999\n', '6000\n']);

  const cli = await d.cli(['logs', 'framed']);
  assert.equal(cli.stdout.split('\n').length, 6001);
  assert.equal(cli.stderr, 'oops\n');
});
