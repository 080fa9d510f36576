/**
 * docker commit against wharfd: the committed image runs with the container's changes
 * (deleted files stay deleted), keeps the container's config, applies `-c` changes, records
 * author/comment in history, pauses a running container by default, answers an empty-body
 * POST /commit (COMPAT-TRAPS 1) with a `sha256:` id, and publishes the `commit` event.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';

let d: TestDaemon;

async function ok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  d = await startDaemon();
  const imp = await d.cli(['import', await busyboxRootfsTar(), 'busybox:latest']);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  await d?.stop();
});

test('commit a running container: changes and deletions carry over, config kept', async () => {
  await ok(['run', '-d', '--name', 'c1', '-e', 'FOO=bar', '-w', '/srv', '--label', 'l1=v1', 'busybox', 'sleep', '1000']);
  await ok(['exec', 'c1', 'sh', '-c', 'echo committed > /srv/file && rm /bin/vi && mkdir -p /etc/x && rm -r /home']);
  const since = Math.floor(Date.now() / 1000);
  const id = (await ok(['commit', '-a', 'Jane <j@example.com>', '-m', 'my message', 'c1', 'mine:v1'])).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const out = await d.docker(['run', '--rm', 'mine:v1', 'sh', '-c', 'cat file; pwd; echo $FOO; ls /bin/vi; ls -d /home; ls -d /etc/x']);
  assert.equal(out.stdout, 'committed\n/srv\nbar\n/etc/x\n');
  assert.match(out.stderr, /\/bin\/vi: No such file/);
  assert.match(out.stderr, /\/home: No such file/);
  const img = JSON.parse(await ok(['image', 'inspect', 'mine:v1']))[0];
  assert.equal(img.Author, 'Jane <j@example.com>');
  assert.equal(img.Comment, 'my message');
  assert.deepEqual(img.Config.Cmd, ['sleep', '1000']);
  assert.equal(img.Config.WorkingDir, '/srv');
  assert.equal(img.Config.Labels.l1, 'v1');
  assert.ok(img.Config.Env.includes('FOO=bar'));
  const hist = await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'mine:v1']);
  assert.match(hist.split('\n')[0]!, /^sleep 1000\|my message$/);
  // Still running and not left paused.
  const st = JSON.parse(await ok(['inspect', 'c1']))[0].State;
  assert.equal(st.Running, true);
  assert.equal(st.Paused, false);
  const ev = await ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'event=commit', '--format', '{{.Actor.Attributes.imageID}}']);
  assert.ok(ev.includes(id), ev);
});

test('commit -c applies Dockerfile changes; a stopped container commits too', async () => {
  await ok(['run', '--name', 'c2', 'busybox', 'sh', '-c', 'echo s > /stopped']);
  await ok(['commit', '-c', 'CMD ["cat", "/stopped"]', '-c', 'ENV ADDED=1', '-c', 'EXPOSE 8080', '-c', 'USER u1', 'c2', 'mine:v2']);
  assert.equal(await ok(['run', '--rm', 'mine:v2']), 's\n');
  const cfg = JSON.parse(await ok(['image', 'inspect', 'mine:v2']))[0].Config;
  assert.ok(cfg.Env.includes('ADDED=1'));
  assert.ok('8080/tcp' in cfg.ExposedPorts);
  assert.equal(cfg.User, 'u1');
  assert.equal(await ok(['run', '--rm', 'mine:v2', 'id', '-u']), '1000\n');
  const bad = await d.docker(['commit', '-c', 'BOGUS x', 'c2']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /BOGUS is not a valid change command/);
});

test('POST /commit with no body means no config changes; a pausing commit leaves the container running', async () => {
  await ok(['run', '-d', '--name', 'c3', 'busybox', 'sleep', '1000']);
  const r = await d.api('POST', '/commit?container=c3&repo=raw&tag=t1');
  assert.equal(r.status, 201, r.body);
  assert.match(r.json.Id, /^sha256:[0-9a-f]{64}$/);
  const cfg = JSON.parse(await ok(['image', 'inspect', 'raw:t1']))[0].Config;
  assert.deepEqual(cfg.Cmd, ['sleep', '1000']);
  const r2 = await d.api('POST', '/commit?container=c3&pause=1', {});
  assert.equal(r2.status, 201, r2.body);
  assert.equal((await d.api('POST', '/commit?container=nope')).status, 404);
  assert.equal(JSON.parse(await ok(['inspect', 'c3']))[0].State.Status, 'running');
  assert.equal(await ok(['exec', 'c3', 'echo', 'alive']), 'alive\n');
});
