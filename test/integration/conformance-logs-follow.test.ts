/**
 * `logs -f` on a json-file log that rotates (max-size/max-file) while it is followed, when the
 * follower is late: it starts after rotations were made, or its client stops reading while the
 * container rotates the log many times (the daemon then stops reading the files too, as a busy
 * machine makes it). docker's follower reads every file still kept; so must ours.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('logs -f started after the log rotated reads the rotated files, then follows without a gap', async () => {
  const run = await d.cli(['run', '-d', '--name', 'late', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=20', 'bb', 'sh', '-c',
    'for i in $(seq 1 300); do echo late-$i-0123456789abcdef; usleep 5000; done']);
  assert.equal(run.code, 0, run.stderr);
  const logPath = (await d.api('GET', '/containers/late/json')).json.LogPath as string;
  await waitFor('a rotation', () => fs.existsSync(`${logPath}.1`));
  const follow = await d.cli(['logs', '-f', 'late'], { timeoutMs: 60_000 });
  assert.equal(follow.code, 0, follow.stderr);
  const nums = follow.stdout.trim().split('\n').map((l) => Number(/^late-(\d+)-/.exec(l)?.[1]));
  assert.deepEqual(nums, range(300));
  await d.cli(['rm', 'late']);
});

test('a follower whose client stops reading while the log rotates many times gets every line when it reads again', async () => {
  // 400 lines of ~2 KB: ~25 rotations at 32 KiB, all kept (max-file=40); more than the
  // socket buffers hold, so the daemon's reader waits for the client while the files rotate.
  const run = await d.cli(['run', '-d', '--name', 'stalled', '--log-opt', 'max-size=32k', '--log-opt', 'max-file=40', 'bb', 'sh', '-c',
    'pad=$(printf "%2000s" "" | tr " " x); sleep 1; for i in $(seq 1 400); do echo "big-$i-$pad"; usleep 3000; done']);
  assert.equal(run.code, 0, run.stderr);
  const logPath = (await d.api('GET', '/containers/stalled/json')).json.LogPath as string;
  const body = await new Promise<Buffer>((resolve, reject) => {
    const req = http.request({ socketPath: d.sock, path: '/v1.41/containers/stalled/logs?follow=1&stdout=1&stderr=1', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let paused = false;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (paused) return;
        paused = true;
        // The first lines came: stop reading until the container is done and its log rotated past them.
        res.pause();
        waitFor('the container to exit', async () => (await d.api('GET', '/containers/stalled/json')).json.State.Running === false)
          .then(() => { assert.ok(fs.existsSync(`${logPath}.10`), 'rotated many times meanwhile'); res.resume(); })
          .catch((e: Error) => { req.destroy(e); });
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  // stdcopy frames: [stream, 0, 0, 0, size (big-endian u32)] + payload.
  let text = '';
  for (let off = 0; off + 8 <= body.length;) {
    const size = body.readUInt32BE(off + 4);
    text += body.subarray(off + 8, off + 8 + size).toString('utf8');
    off += 8 + size;
  }
  const lines = text.trim().split('\n');
  assert.ok(lines.every((l) => /^big-\d+-x{2000}$/.test(l)), 'whole lines');
  assert.deepEqual(lines.map((l) => Number(/^big-(\d+)-/.exec(l)?.[1])), range(400));
  await d.cli(['rm', 'stalled']);
});

test('logs reads the rotated files of a k8s-file log whose last rotation was never reopened', async () => {
  const run = await d.cli(['run', '--name', 'unreopened', '--log-driver', 'k8s-file', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', 'bb', 'sh', '-c',
    'for i in $(seq 1 60); do echo u-$i-0123456789abcdef; usleep 10000; done']);
  assert.equal(run.code, 0, run.stderr);
  const logPath = (await d.api('GET', '/containers/unreopened/json')).json.LogPath as string;
  const before = (await d.cli(['logs', 'unreopened'])).stdout;
  // What the engine's rotation leaves when conmon exits before it reopens: the files shifted, no LogPath.
  assert.ok(fs.existsSync(`${logPath}.1`), 'rotated');
  const dropped = fs.existsSync(`${logPath}.2`) ? fs.readFileSync(`${logPath}.2`, 'utf8').trim().split('\n').length : 0;
  fs.rmSync(`${logPath}.2`, { force: true });
  fs.renameSync(`${logPath}.1`, `${logPath}.2`);
  fs.renameSync(logPath, `${logPath}.1`);
  const logs = await d.cli(['logs', 'unreopened']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, before.split('\n').slice(dropped).join('\n'));
  assert.match(logs.stdout, /u-60-0123456789abcdef\n$/);
  await d.cli(['rm', 'unreopened']);
});
