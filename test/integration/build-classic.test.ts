/**
 * The classic builder end to end with the real docker CLI (DOCKER_BUILDKIT=0) and `wharf
 * build`: every instruction, the image config it produces, running the result, ADD of local
 * archives (extracted) and of a URL (not extracted), the layer cache on a rebuild, history
 * with one entry per step, intermediate images, and a failing RUN.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestDaemon } from '../helpers/daemon.ts';
import { buildDaemon, dockerBuild, fileServer, inspectImage, makeContext } from './build-harness.ts';

let d: TestDaemon;
let srv: Awaited<ReturnType<typeof fileServer>>;
let ctx: string;

const DOCKERFILE = (url: string) => `# escape=\\
ARG BASE=busybox
FROM $BASE
ARG GREETING="hi there"
ARG FROMCLI
LABEL t.run="r1" org.example.purpose="seed scenario parent"
MAINTAINER Seed Scenario <seed@example.invalid>
ENV SEED_ENV="hello world" SEED_APP=/opt/app
ENV LEGACY some legacy value
RUN mkdir -p $SEED_APP && echo "run-step" > $SEED_APP/run.txt \\
 && echo "env-at-build=$SEED_ENV" > $SEED_APP/env.txt && echo "arg=$GREETING/$FROMCLI" > $SEED_APP/arg.txt && echo "build-output-marker"
ADD local.tar /opt/app/
ADD local2.tar.gz /opt/app/gz/
ADD local3.tar.bz2 local4.tar.xz /opt/app/other/
ADD ${url}/remote.tar /opt/app/remote/
COPY copied.txt /opt/app/copied.txt
WORKDIR /opt/app
COPY copied.txt relative-copy.txt
COPY --chown=u1:g2 dir/ /owned/
COPY *.txt /globbed/
WORKDIR sub
SHELL ["/bin/sh", "-e", "-c"]
RUN pwd > /opt/app/pwd.txt
USER u1
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=5s --retries=2 CMD true
VOLUME ["/data"]
EXPOSE 8080 9000-9001/udp
ENTRYPOINT ["/bin/echo", "entry:"]
CMD ["default-cmd"]
ONBUILD RUN echo "onbuild-trigger-ran" > /onbuild.txt
`;

before(async () => {
  d = await buildDaemon();
  const tarSrv = makeContext(d, { 'remote-inner.txt': 'inner\n' });
  execFileSync('tar', ['-C', tarSrv, '-cf', path.join(tarSrv, 'remote.tar'), 'remote-inner.txt']);
  srv = await fileServer({ '/remote.tar': fs.readFileSync(path.join(tarSrv, 'remote.tar')) });
  ctx = makeContext(d, {
    'localdir/hello.txt': 'local-tar-content\n', 'gzdir/g.txt': 'gz-tar-content\n', 'copied.txt': 'copied\n',
    'dir/a.txt': 'a\n', 'dir/sub/b.txt': 'b\n', 'other.txt': 'other\n',
  });
  execFileSync('tar', ['-C', ctx, '-cf', path.join(ctx, 'local.tar'), 'localdir']);
  execFileSync('tar', ['-C', ctx, '-czf', path.join(ctx, 'local2.tar.gz'), 'gzdir']);
  execFileSync('tar', ['-C', ctx, '-cjf', path.join(ctx, 'local3.tar.bz2'), 'dir/a.txt']);
  execFileSync('tar', ['-C', ctx, '-cJf', path.join(ctx, 'local4.tar.xz'), 'dir/sub']);
  fs.rmSync(path.join(ctx, 'localdir'), { recursive: true });
  fs.rmSync(path.join(ctx, 'gzdir'), { recursive: true });
  fs.mkdirSync(path.join(d.dir, 'dockerfiles'));
  fs.writeFileSync(path.join(d.dir, 'dockerfiles', 'Dockerfile.seed'), DOCKERFILE(srv.url));
});

after(async () => {
  await srv?.close();
  await d?.stop();
});

test('docker build (classic) with every instruction, -f outside the context, --build-arg and --label', async () => {
  const r = await dockerBuild(d, ['--force-rm', '-f', path.join(d.dir, 'dockerfiles', 'Dockerfile.seed'), '--build-arg', 'FROMCLI=cli', '--label', 'extra=yes', '-t', 'seed-parent:1.0', ctx]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Step 1\/\d+ : ARG BASE=busybox$/m);
  assert.match(r.stdout, /^Step 2\/\d+ : FROM \$BASE$/m);
  assert.match(r.stdout, /^ ---> Running in [0-9a-f]{12}$/m);
  assert.match(r.stdout, /^build-output-marker$/m);
  assert.match(r.stdout, /^Removing intermediate container [0-9a-f]{12}$/m);
  assert.match(r.stdout, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(r.stdout, /^Successfully tagged seed-parent:1\.0$/m);
  assert.deepEqual(srv.requests, ['GET /remote.tar']);
});

test('the image config carries every instruction', async () => {
  const img = await inspectImage(d, 'seed-parent:1.0');
  const c = img.Config;
  assert.match(img.Id, /^sha256:[0-9a-f]{64}$/);
  assert.ok(c.Env.includes('SEED_ENV=hello world'));
  assert.ok(c.Env.includes('SEED_APP=/opt/app'));
  assert.ok(c.Env.includes('LEGACY=some legacy value'));
  assert.equal(c.WorkingDir, '/opt/app/sub');
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '9000/udp': {}, '9001/udp': {} });
  assert.equal(c.Labels['t.run'], 'r1');
  assert.equal(c.Labels['org.example.purpose'], 'seed scenario parent');
  assert.equal(c.Labels.extra, 'yes');
  assert.deepEqual(c.Entrypoint, ['/bin/echo', 'entry:']);
  assert.deepEqual(c.Cmd, ['default-cmd']);
  assert.equal(c.User, 'u1');
  assert.equal(c.StopSignal, 'SIGUSR1');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  assert.deepEqual(c.Shell, ['/bin/sh', '-e', '-c']);
  assert.deepEqual(c.OnBuild, ['RUN echo "onbuild-trigger-ran" > /onbuild.txt']);
  assert.equal(img.Author, 'Seed Scenario <seed@example.invalid>');
});

test('running the built image: ENTRYPOINT + CMD, files from RUN/COPY/ADD, ARG values', async () => {
  let r = await d.docker(['run', '--rm', 'seed-parent:1.0']);
  assert.equal(r.stdout, 'entry: default-cmd\n');
  r = await d.docker(['run', '--rm', 'seed-parent:1.0', 'other', 'args']);
  assert.equal(r.stdout, 'entry: other args\n');
  r = await d.docker(['run', '--rm', '--user', '0', '--entrypoint', '/bin/sh', 'seed-parent:1.0', '-c',
    'cd /opt/app; cat run.txt env.txt arg.txt copied.txt relative-copy.txt pwd.txt; echo "$SEED_ENV"; stat -c "%u:%g %n" /owned/a.txt /owned/sub/b.txt; ls /globbed']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'run-step\nenv-at-build=hello world\narg=hi there/cli\ncopied\ncopied\n/opt/app/sub\nhello world\n1000:2002 /owned/a.txt\n1000:2002 /owned/sub/b.txt\ncopied.txt\nother.txt\n');
});

test('ADD extracts local tar archives (plain, gzip, bzip2, xz) but not a downloaded one', async () => {
  const r = await d.docker(['run', '--rm', '--entrypoint', '/bin/sh', 'seed-parent:1.0', '-c',
    'cat /opt/app/localdir/hello.txt /opt/app/gz/gzdir/g.txt /opt/app/other/dir/a.txt /opt/app/other/dir/sub/b.txt; ls /opt/app/remote; [ -f /opt/app/remote/remote.tar ] && echo remote-is-file; [ -e /opt/app/remote/remote-inner.txt ] || echo not-extracted; [ -e /opt/app/local.tar ] || echo local-tar-consumed']);
  assert.equal(r.stdout, 'local-tar-content\ngz-tar-content\na\nb\nremote.tar\nremote-is-file\nnot-extracted\nlocal-tar-consumed\n');
});

test('history shows one entry per step; intermediate images are listed with -a only', async () => {
  let r = await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'seed-parent:1.0']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length >= 27, `history has ${lines.length} entries`);
  for (const w of ['MAINTAINER', 'build-output-marker', 'EXPOSE', 'ENTRYPOINT', 'ONBUILD', 'WORKDIR', 'VOLUME', 'COPY file:', '|2 FROMCLI=cli GREETING=hi there /bin/sh -c mkdir']) {
    assert.ok(r.stdout.includes(w), `history lacks ${w}`);
  }
  r = await d.docker(['images', '-q']);
  const plain = r.stdout.trim().split('\n').length;
  r = await d.docker(['images', '-a', '-q']);
  assert.ok(r.stdout.trim().split('\n').length > plain + 10);
  r = await d.docker(['images', '-a']);
  assert.match(r.stdout, /^<none> +<none> +[0-9a-f]{12}/m);
});

test('a rebuild reuses every step from the cache; nocache does not', async () => {
  const args = ['-f', path.join(d.dir, 'dockerfiles', 'Dockerfile.seed'), '--build-arg', 'FROMCLI=cli', '--label', 'extra=yes', '-t', 'seed-parent:1.0', ctx];
  const before = (await inspectImage(d, 'seed-parent:1.0')).Id;
  let r = await dockerBuild(d, args);
  assert.equal(r.code, 0, r.stderr);
  const steps = (r.stdout.match(/^Step /gm) ?? []).length;
  const hits = (r.stdout.match(/^ ---> Using cache$/gm) ?? []).length;
  assert.equal(hits, steps - 2, r.stdout); // every step but the meta ARG and FROM
  assert.doesNotMatch(r.stdout, /Running in/);
  assert.equal((await inspectImage(d, 'seed-parent:1.0')).Id, before);
  // A changed file invalidates its COPY and everything after it.
  fs.writeFileSync(path.join(ctx, 'copied.txt'), 'changed\n');
  r = await dockerBuild(d, args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Step \d+\/\d+ : COPY copied.txt \/opt\/app\/copied.txt\n ---> [0-9a-f]{12}\n/);
  fs.writeFileSync(path.join(ctx, 'copied.txt'), 'copied\n');
  r = await dockerBuild(d, ['--no-cache', ...args.slice(0, -3), '-t', 'nocache:1', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Using cache/);
});

test('a failing RUN fails the build with docker\'s message and exit code, and tags nothing', async () => {
  let r = await dockerBuild(d, ['-t', 'failing:1', makeContext(d, { Dockerfile: 'FROM busybox\nRUN false\n' })]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /The command '\/bin\/sh -c false' returned a non-zero code: 1/);
  const c = makeContext(d, { Dockerfile: 'FROM busybox\nRUN echo before && exit 3\nCMD ["x"]\n' });
  r = await dockerBuild(d, ['-t', 'failing:1', c]);
  assert.equal(r.code, 3); // the docker CLI exits with errorDetail.code, the step's exit code
  assert.match(r.stderr, /The command '\/bin\/sh -c echo before && exit 3' returned a non-zero code: 3/);
  assert.match(r.stdout, /^before$/m);
  const i = await d.api('GET', '/images/failing:1/json');
  assert.equal(i.status, 404);
});

test('wharf build: quiet prints the id; the API streams JSON and prune answers', async () => {
  const c = makeContext(d, { Dockerfile: 'FROM busybox\nRUN echo quiet-out\nENV Q=1\n' });
  const r = await d.cli(['build', '-q', '-t', 'quiet:1', c]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal((await inspectImage(d, 'quiet:1')).Id, r.stdout.trim());
  const p = await d.api('POST', '/build/prune');
  assert.deepEqual(p.json, { CachesDeleted: null, SpaceReclaimed: 0 }); // docker: null when nothing was deleted
  const bad = await d.api('POST', '/build?t=Bad:Tag', Buffer.alloc(1024), { 'Content-Type': 'application/x-tar' });
  assert.equal(bad.status, 400);
});
