/**
 * `POST /build` as docker 20.10's classic builder answers docker-py: errors before the first
 * message are plain (non-chunked) JSON errors; a Dockerfile from outside the context
 * (`.dockerfile.<random>`) and the .dockerignore are dropped from the context when
 * .dockerignore names them (moby's patterns); `extrahosts`; stderr of RUN in red; `q`
 * holds the output back unless the build fails; `cachefrom` (docker's ImageCache, also for
 * an image with no local parent chain).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ApiResponse, TestDaemon } from '../helpers/daemon.ts';
import { buildDaemon, makeContext } from './build-harness.ts';
import { PatternMatcher, readDockerignore } from '../../src/common/dockerignore.ts';

let d: TestDaemon;
before(async () => { d = await buildDaemon(); });
after(async () => { await d?.stop(); });

/** A context tar with exactly these top-level entries (names without `./`, as docker-py sends them). */
function contextTar(files: Record<string, string>): Buffer {
  const dir = makeContext(d, files);
  const names = fs.readdirSync(dir).sort();
  const out = `${dir}.tar`;
  execFileSync('tar', ['-C', dir, '-cf', out, ...(names.length ? names : ['--files-from', '/dev/null'])]);
  return fs.readFileSync(out);
}

function build(files: Record<string, string>, query = ''): Promise<ApiResponse> {
  return d.api('POST', `/build?rm=1&forcerm=1${query}`, contextTar(files), { 'Content-Type': 'application/x-tar' });
}

/** The JSON messages of a build answer. */
const messages = (r: ApiResponse): Record<string, any>[] => r.body.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l));
const streamText = (r: ApiResponse) => messages(r).map((m) => m.stream ?? '').join('');

async function run(image: string, cmd: string): Promise<string> {
  const r = await d.cli(['run', '--rm', image, 'sh', '-c', cmd]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('an error before any output is a plain JSON error with a length (docker-py raises APIError)', async () => {
  for (const [files, msg] of [
    [{ Dockerfile: '' }, 'the Dockerfile (Dockerfile) cannot be empty'],
    [{ 'other.txt': 'x' }, 'Cannot locate specified Dockerfile: Dockerfile'],
    [{ Dockerfile: 'FROM busybox\nFOO bar\n' }, 'Dockerfile parse error line 2: unknown instruction: FOO'],
  ] as const) {
    const r = await build(files, '&t=a/b/c');
    assert.equal(r.status, 400, r.body);
    assert.equal(r.headers['transfer-encoding'], undefined);
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
    assert.deepEqual(r.json, { message: msg });
  }
  const squash = await build({ Dockerfile: 'FROM busybox\n' }, '&squash=1');
  assert.equal(squash.status, 400);
  assert.equal(squash.json.message, 'squash is only supported with experimental mode');
  const target = await build({ Dockerfile: 'FROM busybox\n' }, '&target=nope');
  assert.equal(target.status, 400);
  assert.equal(target.json.message, 'failed to reach build target nope in Dockerfile');
});

test('a failing step after output is the last message of a 200 stream', async () => {
  const r = await build({ Dockerfile: 'FROM busybox\nRUN exit 3\n' });
  assert.equal(r.status, 200);
  const last = messages(r).at(-1)!;
  assert.deepEqual(last.errorDetail, { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" });
  assert.equal(last.error, last.errorDetail.message);
});

test('a lowercase dockerfile is found when Dockerfile is absent', async () => {
  const r = await build({ dockerfile: 'FROM busybox\nLABEL lower=1\n' });
  assert.match(streamText(r), /Successfully built/);
});

test('a Dockerfile from outside the context and the .dockerignore are not in the image', async () => {
  const df = '.dockerfile.5b1e0c3d9a';
  const r = await build({ 'file.txt': 'hello', '.dockerignore': `.dockerignore\n${df}`, [df]: 'FROM busybox\nCOPY . /src\n' }, `&dockerfile=${df}&t=ooc:1`);
  assert.match(streamText(r), /Successfully tagged ooc:1/);
  assert.equal(await run('ooc:1', 'ls -a /src'), '.\n..\nfile.txt\n');
});

test('an in-context Dockerfile that .dockerignore does not name stays in the context', async () => {
  const r = await build({ 'file.txt': 'hello', 'custom.dockerfile': 'FROM busybox\nCOPY . /src\n' }, '&dockerfile=custom.dockerfile&t=inctx:1');
  assert.match(streamText(r), /Successfully tagged/);
  assert.equal(await run('inctx:1', 'ls -a /src'), '.\n..\ncustom.dockerfile\nfile.txt\n');
});

test('.dockerignore patterns drop the Dockerfile and itself only; the rest is what the client sent', async () => {
  // `*` with an exception: docker removes Dockerfile and .dockerignore, and keeps other.txt (the client filters).
  let r = await build({ Dockerfile: 'FROM busybox\nCOPY . /src\n', '.dockerignore': '*\n!keep\n', 'other.txt': 'o', keep: 'k' }, '&t=ign:1');
  assert.match(streamText(r), /Successfully tagged/);
  assert.equal(await run('ign:1', 'ls -a /src'), '.\n..\nkeep\nother.txt\n');
  // Leading `/`, `./` and a trailing `/` are cleaned; comments are not patterns.
  r = await build({ Dockerfile: 'FROM busybox\nCOPY . /src\n', '.dockerignore': '# Dockerfile\n/Dockerfile\n./.dockerignore/\n', 'a.txt': 'a' }, '&t=ign:2');
  assert.match(streamText(r), /Successfully tagged/);
  assert.equal(await run('ign:2', 'ls -a /src'), '.\n..\na.txt\n');
  // An exception keeps the Dockerfile.
  r = await build({ Dockerfile: 'FROM busybox\nCOPY . /src\n', '.dockerignore': '*\n!Dockerfile\n', 'a.txt': 'a' }, '&t=ign:3');
  assert.equal(await run('ign:3', 'ls -a /src'), '.\n..\nDockerfile\na.txt\n');
});

test('moby pattern rules: **, exceptions, parent directories, cleaning, `.` matches nothing', () => {
  const pm = new PatternMatcher(readDockerignore('\uFEFFignored\n!ignored/subdir/excepted-file\n#comment\n  \n**/*.go\ndocs/**\na?c\n[x-z]1\n.\n/abs/\n'));
  const cases: [string, boolean][] = [
    ['ignored', true], ['ignored/subdir/file', true], ['ignored/subdir/excepted-file', false],
    ['main.go', true], ['a/b/c.go', true], ['docs', false], ['docs/x', true], ['docs/x/y', true],
    ['abc', true], ['a/c', false], ['y1', true], ['w1', false], ['#comment', false],
    ['abs', true], ['abs/x', true], ['other', false],
  ];
  for (const [file, want] of cases) assert.equal(pm.matches(file), want, file);
  assert.deepEqual(readDockerignore('a/../b\n! c \n'), ['b', '!c']);
  assert.throws(() => new PatternMatcher(['!']), /illegal exclusion pattern/);
});

test('extrahosts entries are in /etc/hosts of RUN steps', async () => {
  const q = `&t=xh:1&extrahosts=${encodeURIComponent('extrahost.local.test:127.0.0.1')}&extrahosts=${encodeURIComponent('hello.world.test:127.0.0.2')}`;
  const r = await build({ Dockerfile: 'FROM busybox\nRUN cp /etc/hosts /hosts-file\n' }, q);
  assert.match(streamText(r), /Successfully tagged/, r.body);
  const hosts = await run('xh:1', 'cat /hosts-file');
  assert.match(hosts, /^127\.0\.0\.1\textrahost\.local\.test$/m);
  assert.match(hosts, /^127\.0\.0\.2\thello\.world\.test$/m);
  const bad = await build({ Dockerfile: 'FROM busybox\n' }, '&extrahosts=nocolon');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'bad format for add-host: "nocolon"');
});

test('RUN output on stderr is streamed in red, as docker does', async () => {
  const r = await build({ Dockerfile: 'FROM busybox\nRUN echo out && echo err >&2\n' }, '&nocache=1');
  const lines = messages(r).map((m) => m.stream);
  assert.ok(lines.includes('out\n'), r.body);
  assert.ok(lines.includes('\x1b[91merr\n\x1b[0m'), r.body);
});

test('q=1: only the image id on success; everything held back is written when the build fails', async () => {
  const ok = await build({ Dockerfile: 'FROM busybox\nRUN echo quiet-run\n' }, '&q=1&nocache=1');
  const okMsgs = messages(ok);
  assert.equal(okMsgs.length, 2, ok.body);
  assert.match(okMsgs[0]!.aux.ID, /^sha256:[0-9a-f]{64}$/);
  assert.equal(okMsgs[1]!.stream, `${okMsgs[0]!.aux.ID}\n`);
  const bad = await build({ Dockerfile: 'FROM busybox\nRUN echo before-fail && exit 2\n' }, '&q=1');
  assert.equal(bad.status, 200);
  assert.match(streamText(bad), /Step 2\/2 : RUN echo before-fail && exit 2[\s\S]*before-fail\n/);
  assert.equal(messages(bad).at(-1)!.errorDetail.code, 2);
});

test('cachefrom: only the listed images serve as cache, also one without its local parent chain', async () => {
  const files = { Dockerfile: 'FROM busybox\nENV FOO=bar\nRUN touch baz\nRUN touch bax\n' };
  const usingCache = (r: ApiResponse) => messages(r).filter((m) => (m.stream ?? '').includes('Using cache')).length;
  const first = await build(files, '&t=cf1:1');
  assert.equal(usingCache(first), 0, first.body);
  const id = messages(first).find((m) => m.aux)!.aux.ID as string;
  const again = await build(files, `&t=cf2:1&cachefrom=${encodeURIComponent('["cf1:1"]')}`);
  assert.equal(usingCache(again), 3, again.body);
  assert.equal(messages(again).find((m) => m.aux)!.aux.ID, id);
  const none = await build(files, `&cachefrom=${encodeURIComponent('["nosuchtag"]')}`);
  assert.equal(usingCache(none), 0, none.body);
  const noneId = messages(none).find((m) => m.aux)!.aux.ID as string;

  // Save cf1, remove every image of the chain, load it back: no parents, no intermediates.
  const tar = path.join(d.dir, 'cf1.tar');
  assert.equal((await d.cli(['save', '-o', tar, 'cf1:1'])).code, 0);
  assert.equal((await d.cli(['rmi', 'cf1:1', 'cf2:1', noneId])).code, 0);
  assert.equal((await d.cli(['load', '-i', tar])).code, 0);
  assert.equal((await d.api('GET', '/images/cf1:1/json')).json.Parent, '');
  const restored = await build(files, `&t=cf3:1&cachefrom=${encodeURIComponent('["cf1:1"]')}`);
  assert.equal(usingCache(restored), 3, restored.body);
  assert.equal(messages(restored).find((m) => m.aux)!.aux.ID, id, 'the last step is the cache image itself');
  const hist = await d.api('GET', '/images/cf3:1/history');
  assert.deepEqual(hist.json.slice(0, 3).map((h: any) => h.CreatedBy), ['/bin/sh -c touch bax', '/bin/sh -c touch baz', '/bin/sh -c #(nop)  ENV FOO=bar']);
  assert.notEqual((await d.api('GET', '/images/cf3:1/json')).json.Parent, '', 'adopted into the local chain');
  assert.equal(await run('cf3:1', 'ls /baz /bax && echo $FOO'), '/bax\n/baz\nbar\n');

  const bad = await build(files, '&cachefrom=notjson');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'invalid cachefrom parameter: notjson');
});

test('wharf build and docker build: a Dockerfile from outside the context or stdin is not in the image', async () => {
  const outside = makeContext(d, { Dockerfile: 'FROM busybox\nCOPY . /src\n' });
  const plain = makeContext(d, { 'file.txt': 'hello' });
  const withIgnore = makeContext(d, { 'file.txt': 'hello', 'x.log': 'log', '.dockerignore': '*.log\n.\n' });
  for (const [tool, tag] of [['wharf', 'clioc'], ['docker', 'dockeroc']] as const) {
    const b = (args: string[], input?: string) => (tool === 'wharf' ? d.cli(['build', ...args], { input }) : d.docker(['build', ...args], { env: { DOCKER_BUILDKIT: '0' }, input }));
    let r = await b(['-f', path.join(outside, 'Dockerfile'), '-t', `${tag}:1`, plain]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await run(`${tag}:1`, 'ls -a /src'), '.\n..\nfile.txt\n', tool);
    // An existing .dockerignore that does not name itself stays; `.` excludes nothing.
    r = await b(['-f', '-', '-t', `${tag}:2`, withIgnore], 'FROM busybox\nCOPY . /src\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await run(`${tag}:2`, 'ls -a /src'), '.\n..\n.dockerignore\nfile.txt\n', tool);
  }
});

test('wharf build sends what docker build sends: exceptions under an excluded directory, a nested Dockerfile sent then dropped', async () => {
  const c = makeContext(d, {
    'ignored/subdir/file': 'no', 'ignored/subdir/excepted-file': 'yes', 'docs/a/b.md': 'no', 'keep.txt': 'k',
    'build/df/Dockerfile': 'FROM busybox\nCOPY . /src\n',
    '.dockerignore': 'ignored\n!ignored/subdir/excepted-file\ndocs/**\nbuild\n',
  });
  const list = 'cd /src && find . | sort';
  const w = await d.cli(['build', '-f', path.join(c, 'build/df/Dockerfile'), '-t', 'send:w', c]);
  assert.equal(w.code, 0, w.stderr);
  const k = await d.docker(['build', '-f', path.join(c, 'build/df/Dockerfile'), '-t', 'send:d', c], { env: { DOCKER_BUILDKIT: '0' } });
  assert.equal(k.code, 0, k.stderr);
  const got = await run('send:w', list);
  assert.equal(got, await run('send:d', list));
  assert.match(got, /\.\/ignored\/subdir\/excepted-file\n/);
  assert.doesNotMatch(got, /subdir\/file\n|b\.md/);
  // The client sends the Dockerfile (and the directories leading to it); the builder drops it, `build` names it.
  assert.match(got, /\.\/build\/df\n/);
  assert.doesNotMatch(got, /Dockerfile/);
});
