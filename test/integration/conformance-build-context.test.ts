/**
 * The build context as the classic builder receives it (a tree over a spool, never
 * extracted): the COPY/ADD cache follows the files' bytes and modes (docker hashes contents
 * and metadata, not times), COPY writes exactly the context's tree (modes, links, hard links,
 * times), .dockerignore drops the Dockerfile, a gzip context works, and a step's first line
 * reaches the client before the step has finished.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestDaemon } from '../helpers/daemon.ts';
import { buildDaemon, dockerBuild, makeContext } from './build-harness.ts';

let d: TestDaemon;
before(async () => { d = await buildDaemon(); });
after(async () => { await d?.stop(); });

const cached = (out: string) => (out.match(/Using cache/g) ?? []).length;

async function run(image: string, cmd: string): Promise<string> {
  const r = await d.cli(['run', '--rm', image, 'sh', '-c', cmd]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('the COPY cache follows contents and modes, not times', async () => {
  const c = makeContext(d, { Dockerfile: 'FROM busybox\nCOPY . /app\nRUN cat /app/sub/a.txt > /seen\n', 'sub/a.txt': 'one\n', 'b.bin': Buffer.alloc(70_000, 7) });
  let r = await dockerBuild(d, ['-t', 'ctxcache:1', c]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(cached(r.stdout), 0);
  r = await dockerBuild(d, ['-t', 'ctxcache:1', c]);
  assert.equal(cached(r.stdout), 2, r.stdout);
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(c, 'sub/a.txt'), later, later);
  r = await dockerBuild(d, ['-t', 'ctxcache:1', c]);
  assert.equal(cached(r.stdout), 2, `a touched file keeps the cache (docker ignores times):\n${r.stdout}`);
  fs.writeFileSync(path.join(c, 'sub/a.txt'), 'two\n');
  r = await dockerBuild(d, ['-t', 'ctxcache:1', c]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(cached(r.stdout), 0, `a changed file busts the cache:\n${r.stdout}`);
  assert.equal(await run('ctxcache:1', 'cat /seen'), 'two\n');
  const same = Buffer.alloc(70_000, 7);
  same[69_999] = 8;
  fs.writeFileSync(path.join(c, 'b.bin'), same);
  r = await dockerBuild(d, ['-t', 'ctxcache:1', c]);
  assert.equal(cached(r.stdout), 0, `one changed byte at the end of a file busts the cache:\n${r.stdout}`);
  fs.chmodSync(path.join(c, 'b.bin'), 0o755);
  r = await dockerBuild(d, ['-t', 'ctxcache:1', c]);
  assert.equal(cached(r.stdout), 0, `a mode change busts the cache:\n${r.stdout}`);
  assert.equal(await run('ctxcache:1', 'stat -c %a /app/b.bin'), '755\n');
});

test('COPY writes the context tree as sent: modes, links, hard links, times; the ignored Dockerfile stays out', async () => {
  const c = makeContext(d, {
    Dockerfile: 'FROM busybox\nCOPY . /app/\nCOPY sub/x.sh /single\n', '.dockerignore': 'Dockerfile\n',
    'sub/x.sh': '#!/bin/sh\necho hi\n', 'sub/deep/er/f': 'f', 'sub/link': { link: 'x.sh' }, 'sub/abs': { link: '/etc/passwd' },
    'big.bin': Buffer.alloc(3 << 20, 1),
  });
  fs.chmodSync(path.join(c, 'sub/x.sh'), 0o750);
  fs.linkSync(path.join(c, 'sub/deep/er/f'), path.join(c, 'hard'));
  fs.utimesSync(path.join(c, 'sub/deep/er/f'), 1_500_000_000, 1_500_000_000);
  const r = await dockerBuild(d, ['-t', 'ctxtree:1', c]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = await run('ctxtree:1', [
    'cd /app', 'ls -A | sort | tr "\\n" " "', 'echo', 'stat -c "%a %u:%g %Y" sub/x.sh sub/deep/er/f /single', 'readlink sub/link', 'readlink sub/abs',
    'cat hard', 'echo', 'wc -c < big.bin', 'ls -A /app | grep -c Dockerfile || true',
  ].join(';'));
  const lines = out.split('\n');
  assert.equal(lines[0], '.dockerignore big.bin hard sub ');
  assert.match(lines[1]!, /^750 0:0 \d+$/);
  assert.equal(lines[2], '644 0:0 1500000000');
  assert.match(lines[3]!, /^750 0:0 \d+$/);
  assert.deepEqual(lines.slice(4, 6), ['x.sh', '/etc/passwd']);
  assert.equal(lines[6], 'f');
  assert.equal(lines[7]!.trim(), String(3 << 20));
  assert.equal(lines[8], '0');
});

test('a gzip-compressed context (docker build --compress)', async () => {
  const c = makeContext(d, { Dockerfile: 'FROM busybox\nCOPY f /f\n', f: 'zipped\n' });
  const r = await d.docker(['build', '--compress', '-t', 'ctxgz:1', c], { env: { DOCKER_BUILDKIT: '0' } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await run('ctxgz:1', 'cat /f'), 'zipped\n');
  const tgz = path.join(d.dir, 'ctx.tgz');
  execFileSync('tar', ['-C', c, '-czf', tgz, 'Dockerfile', 'f']);
  const api = await d.api('POST', '/build?t=ctxgz:2', fs.readFileSync(tgz), { 'Content-Type': 'application/x-tar' });
  assert.equal(api.status, 200);
  assert.match(api.body, /Successfully tagged ctxgz:2/);
});

test('a truncated context is refused with a client error', async () => {
  const c = makeContext(d, { Dockerfile: 'FROM busybox\n', f: 'x'.repeat(5000) });
  const tar = execFileSync('tar', ['-C', c, '-cf', '-', 'Dockerfile', 'f']);
  const r = await d.api('POST', '/build', tar.subarray(0, 1024 + 512 + 100), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 400, r.body);
  assert.match(r.json.message, /unexpected EOF/);
});
