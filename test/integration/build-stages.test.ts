/**
 * Multi-stage builds (`COPY --from=name|index|image`, `FROM <stage>`, `--target`), FROM
 * scratch, ONBUILD triggers running in a child build (and not in the parent), and `wharf
 * build` against the same daemon.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDaemon } from '../helpers/daemon.ts';
import { buildDaemon, dockerBuild, inspectImage, makeContext } from './build-harness.ts';
import { startRegistry } from './registry-fixtures.ts';

let d: TestDaemon;

before(async () => { d = await buildDaemon(); });
after(async () => { await d?.stop(); });

const MULTI = `FROM busybox AS builder
RUN mkdir /out && echo built-artifact > /out/artifact.txt
FROM busybox AS other
RUN echo other-stage > /other.txt
FROM builder AS derived
RUN echo derived >> /out/artifact.txt
FROM scratch
COPY --from=builder /out/artifact.txt /artifact.txt
COPY --from=1 /other.txt /other.txt
COPY --from=derived /out /derived
COPY --from=busybox /bin/busybox /bin/busybox
CMD ["/bin/busybox", "cat", "/artifact.txt"]
`;

test('multi-stage: COPY --from by name, index and image; FROM a stage; final stage from scratch', async () => {
  const r = await dockerBuild(d, ['-t', 'multi:1', makeContext(d, { Dockerfile: MULTI })]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Successfully tagged multi:1/);
  let run = await d.docker(['run', '--rm', 'multi:1']);
  assert.equal(run.stdout, 'built-artifact\n', run.stderr);
  run = await d.docker(['run', '--rm', 'multi:1', '/bin/busybox', 'cat', '/other.txt', '/derived/artifact.txt']);
  assert.equal(run.stdout, 'other-stage\nbuilt-artifact\nderived\n', run.stderr);
  run = await d.docker(['run', '--rm', 'multi:1', '/bin/busybox', 'ls', '/']);
  const top = run.stdout.trim().split('\n');
  for (const x of ['artifact.txt', 'bin', 'derived', 'other.txt']) assert.ok(top.includes(x), run.stdout);
  assert.ok(!top.includes('out') && !top.includes('usr'), run.stdout); // only what was copied
});

test('--target stops at the named stage', async () => {
  const r = await dockerBuild(d, ['--target', 'other', '-t', 'multi:other', makeContext(d, { Dockerfile: MULTI })]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Step 1\/4 : FROM busybox AS builder$/m);
  assert.doesNotMatch(r.stdout, /FROM scratch/);
  const run = await d.docker(['run', '--rm', 'multi:other', 'cat', '/other.txt']);
  assert.equal(run.stdout, 'other-stage\n');
  const bad = await dockerBuild(d, ['--target', 'nope', makeContext(d, { Dockerfile: MULTI })]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /failed to reach build target nope in Dockerfile/);
});

test('ONBUILD triggers run in the child build, not in the parent', async () => {
  const parent = makeContext(d, {
    Dockerfile: 'FROM busybox\nONBUILD RUN echo "onbuild-trigger-ran" > /onbuild.txt\nONBUILD COPY child.txt /from-child.txt\n',
  });
  let r = await dockerBuild(d, ['-t', 'ob-parent:1', parent]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const child = makeContext(d, { Dockerfile: 'FROM ob-parent:1\nRUN cat /onbuild.txt && echo child-built\n', 'child.txt': 'child-file\n' });
  r = await dockerBuild(d, ['--force-rm', '-t', 'ob-child:1', child]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^# Executing 2 build triggers$/m);
  assert.match(r.stdout, /^onbuild-trigger-ran\nchild-built$/m);
  let run = await d.docker(['run', '--rm', 'ob-child:1', 'cat', '/onbuild.txt', '/from-child.txt']);
  assert.equal(run.stdout, 'onbuild-trigger-ran\nchild-file\n');
  run = await d.docker(['run', '--rm', 'ob-parent:1', 'sh', '-c', '[ -e /onbuild.txt ] && echo present || echo absent']);
  assert.equal(run.stdout, 'absent\n');
  const img = await inspectImage(d, 'ob-child:1');
  assert.equal(img.Config.OnBuild, null);
  run = await d.docker(['image', 'inspect', '-f', '{{len .Config.OnBuild}}', 'ob-child:1']);
  assert.equal(run.stdout, '0\n');
});

test('wharf build runs the same builder (context dir, -f, build args)', async () => {
  const c = makeContext(d, { 'sub/My.Dockerfile': 'FROM busybox\nARG V=default\nRUN echo "v=$V" > /v.txt\n' });
  const r = await d.cli(['build', '-f', `${c}/sub/My.Dockerfile`, '--build-arg', 'V=given', '-t', 'wharf-built:1', c]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Successfully tagged wharf-built:1/);
  const run = await d.docker(['run', '--rm', 'wharf-built:1', 'cat', '/v.txt']);
  assert.equal(run.stdout, 'v=given\n');
});

test('FROM pulls a missing base image from a registry, with the CLI\'s credentials', async () => {
  const reg = await startRegistry({ user: 'builder', password: 'pw-123' });
  try {
    const ref = `${reg.host}/base/bb:1`;
    assert.equal((await d.docker(['login', '-u', 'builder', '--password-stdin', reg.host], { input: 'pw-123' })).code, 0);
    assert.equal((await d.docker(['tag', 'busybox', ref])).code, 0);
    const push = await d.docker(['push', ref]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await d.docker(['rmi', ref])).code, 0);
    const r = await dockerBuild(d, ['-t', 'pulled-base:1', makeContext(d, { Dockerfile: `FROM ${ref}\nRUN echo on-pulled-base\n` })]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /on-pulled-base/);
    assert.equal((await d.api('GET', `/images/${ref}/json`)).status, 200);
  } finally {
    await reg.close();
  }
});
