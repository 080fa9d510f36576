/** json-file max-size / max-file: the log rotates while the container runs; logs reads across files. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startDaemon, WHARF, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

test('max-size and max-file bound the log files; logs shows the newest lines in order', async () => {
  const r = await d.cli(['run', '--name', 'chatty', '--log-opt', 'max-size=4k', '--log-opt', 'max-file=3', 'bb', 'sh', '-c', 'for i in $(seq 1 400); do echo line-$i-0123456789abcdef; usleep 8000; done']);
  assert.equal(r.code, 0, r.stderr);
  const logPath = (await d.api('GET', '/containers/chatty/json')).json.LogPath as string;
  const files = fs.readdirSync(path.dirname(logPath)).filter((f) => f.startsWith(path.basename(logPath)));
  assert.ok(files.length >= 2 && files.length <= 3, `files: ${files}`);
  for (const f of files) assert.ok(fs.statSync(path.join(path.dirname(logPath), f)).size < 32 * 1024, `${f} too big`);
  const logs = await d.cli(['logs', 'chatty']);
  const lines = logs.stdout.trim().split('\n');
  assert.equal(lines.at(-1), 'line-400-0123456789abcdef');
  assert.ok(!lines.includes('line-1-0123456789abcdef'), 'oldest lines rotated away');
  const nums = lines.map((l) => Number(/^line-(\d+)-/.exec(l)?.[1]));
  assert.deepEqual(nums, [...nums].sort((a, b) => a - b), 'in order across files');
  const tail = await d.cli(['logs', '--tail', '2', 'chatty']);
  assert.equal(tail.stdout, 'line-399-0123456789abcdef\nline-400-0123456789abcdef\n');
  const bad = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '4k', 'max-file': '0' } } } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'max-file cannot be less than 1');
});

test('logs -f keeps following across rotations and misses no line', async () => {
  // The container prints its first line and waits until the follower has shown it: only then
  // do the lines that rotate the log come (a follower that starts late on a busy machine would
  // otherwise find the first lines rotated away already, as docker's max-file=2 drops them).
  const run = await d.cli(['run', '-d', '--name', 'rolling', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=2', 'bb', 'sh', '-c', 'echo roll-0-0123456789abcdef; while [ ! -e /go ]; do usleep 10000; done; for i in $(seq 1 300); do echo roll-$i-0123456789abcdef; usleep 5000; done']);
  assert.equal(run.code, 0, run.stderr);
  // Follows from the start; the container rotates its log ~10 times while this reads.
  const follower = spawn(WHARF, ['logs', '-f', 'rolling'], { env: { ...process.env, WHARF_HOST: d.host }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  follower.stdout.on('data', (c) => (stdout += c));
  follower.stderr.on('data', (c) => (stderr += c));
  const code = new Promise<number | null>((resolve) => follower.on('close', (c) => resolve(c)));
  const timer = setTimeout(() => follower.kill('SIGKILL'), 60_000);
  try {
    for (const end = Date.now() + 30_000; !stdout.includes('roll-0-'); await new Promise((r) => setTimeout(r, 20))) {
      assert.ok(Date.now() < end && follower.exitCode === null, `the follower shows the first line: ${stdout} ${stderr}`);
    }
    const go = await d.cli(['exec', 'rolling', 'touch', '/go']);
    assert.equal(go.code, 0, go.stderr);
    assert.equal(await code, 0, stderr);
  } finally {
    clearTimeout(timer);
    follower.kill('SIGKILL');
  }
  const nums = stdout.trim().split('\n').map((l) => Number(/^roll-(\d+)-/.exec(l)?.[1]));
  assert.deepEqual(nums, Array.from({ length: 301 }, (_, i) => i));
});
