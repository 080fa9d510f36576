/**
 * The engine fixes found by the state-machine unit tests over fake drivers
 * (test/unit/containers-*.test.ts), checked once through a real daemon, runc and the docker
 * CLI: kill's 409 text, RestartCount reset by a user's start, rm -f events, a failed start
 * without a die event, ps before/since an unknown container.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

async function actions(name: string, since: number): Promise<string[]> {
  const r = await d.cli(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--format', '{{.Action}}']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('kill of a stopped container: 409 naming it as docker does', async () => {
  await d.cli(['create', '--name', 'sm-kill', 'bb', 'sleep', '100']);
  const r = await d.api('POST', '/containers/sm-kill/kill');
  assert.equal(r.status, 409);
  assert.match(r.json.message, /^Cannot kill container: sm-kill: Container [0-9a-f]{64} is not running$/);
  await d.cli(['rm', 'sm-kill']);
});

test('rm -f of a running container: kill, die, destroy (no stop)', async () => {
  const since = Math.floor(Date.now() / 1000);
  await d.cli(['run', '-d', '--name', 'sm-rmf', 'bb', 'sleep', '100']);
  assert.equal((await d.cli(['rm', '-f', 'sm-rmf'])).code, 0);
  assert.deepEqual(await actions('sm-rmf', since), ['create', 'start', 'kill', 'die', 'destroy']);
});

test('a failed start: 400, state created with 127, only a create event', async () => {
  const since = Math.floor(Date.now() / 1000);
  await d.cli(['create', '--name', 'sm-bad', 'bb', 'nosuch']);
  const r = await d.api('POST', '/containers/sm-bad/start');
  assert.equal(r.status, 400);
  const st = (await d.api('GET', '/containers/sm-bad/json')).json.State;
  assert.deepEqual([st.Status, st.ExitCode], ['created', 127]);
  assert.deepEqual(await actions('sm-bad', since), ['create']);
  await d.cli(['rm', 'sm-bad']);
});

test('a user start resets RestartCount: on-failure:1 restarts again after docker start', async () => {
  await d.cli(['run', '-d', '--name', 'sm-of', '--restart', 'on-failure:1', 'bb', 'sh', '-c', 'exit 2']);
  const inspect = async () => (await d.api('GET', '/containers/sm-of/json')).json;
  const settled = async () => {
    for (let i = 0; i < 200; i++) {
      const j = await inspect();
      if (j.RestartCount === 1 && j.State.Status === 'exited') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`never settled: ${JSON.stringify((await inspect()).State)}`);
  };
  await settled();
  const since = Math.floor(Date.now() / 1000);
  assert.equal((await d.cli(['start', 'sm-of'])).code, 0);
  await new Promise((r) => setTimeout(r, 300));
  await settled();
  const acts = await actions('sm-of', since);
  assert.ok(acts.filter((a) => a === 'start').length >= 2, `the policy restarted it again: ${acts.join(' ')}`);
  await d.cli(['rm', '-f', 'sm-of']);
});

test('ps --filter before/since naming no container: 404', async () => {
  const r = await d.api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ before: ['sm-nosuch'] }))}`);
  assert.equal(r.status, 404);
  assert.equal(r.json.message, 'No such container: sm-nosuch');
});

test('start of a paused container: 409, try unpause', async () => {
  await d.cli(['run', '-d', '--name', 'sm-paused', 'bb', 'sleep', '100']);
  await d.cli(['pause', 'sm-paused']);
  const r = await d.api('POST', '/containers/sm-paused/start');
  assert.equal(r.status, 409);
  assert.equal(r.json.message, 'cannot start a paused container, try unpause instead');
  await d.cli(['rm', '-f', 'sm-paused']);
});

test('rename to its own name or to nothing: 400 with docker\'s text', async () => {
  await d.cli(['create', '--name', 'sm-ren', 'bb', 'true']);
  let r = await d.api('POST', '/containers/sm-ren/rename?name=sm-ren');
  assert.deepEqual([r.status, r.json.message], [400, 'Renaming a container with the same name as its current name']);
  r = await d.api('POST', '/containers/sm-ren/rename?name=');
  assert.deepEqual([r.status, r.json.message], [400, 'Neither old nor new names may be empty']);
  await d.cli(['rm', 'sm-ren']);
});

test('wait next-exit on a container removed without running: answered at the removal', async () => {
  await d.cli(['create', '--name', 'sm-wait', 'bb', 'true']);
  const waiting = d.api('POST', '/containers/sm-wait/wait?condition=next-exit');
  await new Promise((r) => setTimeout(r, 200));
  await d.cli(['rm', 'sm-wait']);
  const r = await waiting;
  assert.deepEqual([r.status, r.json.StatusCode], [200, 0]);
});
