/**
 * Restart policies and daemon restarts of the real ContainersService over fake drivers
 * (test/fakes): on-failure:N, always, unless-stopped, the back-off (100 ms doubling, as
 * docker's restartmanager; timed with node:test's mock timers), what `stop`/`kill`/`rm -f`
 * do during the back-off, and live-restore. Docker 20.10 behaviour checked against the
 * reference dockerd.
 */
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeEngine, type FakeEngine } from '../fakes/engine.ts';

let e: FakeEngine;
beforeEach(async () => { e = await fakeEngine(); });
afterEach(async () => { mock.timers.reset(); await e.close(); });

async function create(name: string, policy: string, max = 0, body: Record<string, unknown> = {}): Promise<string> {
  return (await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ...body, HostConfig: { RestartPolicy: { Name: policy, MaximumRetryCount: max } } }, name)).Id;
}
const state = (id: string) => e.inspect(id).State;
const starts = (id: string) => e.actions(id).filter((a) => a === 'start').length;
/** Polls on setImmediate (setTimeout may be mocked). */
async function settle(cond: () => boolean, rounds = 20_000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`not settled: ${cond.toString()}`);
}

describe('on-failure', () => {
  test('on-failure:2: two restarts, then exited; RestartCount 2; start/die pairs', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'on-failure', 2);
    e.runtime.behave(id, { exitOnStart: 1 });
    await e.containers.start(id);
    const l = e.containers.registry.live.get(id)!;
    for (const [i, delay] of [100, 200].entries()) {
      await settle(() => l.restartTimer !== undefined && starts(id) === i + 1);
      mock.timers.tick(delay);
    }
    await settle(() => e.inspect(id).RestartCount === 2 && state(id).Status === 'exited');
    mock.timers.tick(120_000);
    await new Promise((r) => setImmediate(r));
    const s = state(id);
    assert.deepEqual([s.Running, s.Restarting, s.ExitCode, s.Pid], [false, false, 1, 0]);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die', 'start', 'die', 'start', 'die']);
  });

  test('on-failure: an exit 0 is not restarted', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'on-failure');
    e.runtime.behave(id, { exitOnStart: 0 });
    await e.containers.start(id);
    await settle(() => state(id).Status === 'exited');
    mock.timers.tick(120_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(e.inspect(id).RestartCount, 0);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die']);
  });

  test('on-failure: an OOM kill (137) is a failure', async () => {
    const id = await create('c', 'on-failure', 1);
    e.runtime.behave(id, { oomOnStart: true });
    await e.containers.start(id);
    await e.until(() => e.inspect(id).RestartCount === 1 && state(id).Status === 'exited');
    assert.equal(state(id).OOMKilled, true);
    assert.deepEqual(e.actions(id), ['create', 'start', 'oom', 'die', 'start', 'oom', 'die']);
  });

  test('a user start resets RestartCount, so the policy applies again (docker\'s ResetRestartManager)', async () => {
    const id = await create('c', 'on-failure', 1);
    e.runtime.behave(id, { exitOnStart: 2 });
    await e.containers.start(id);
    await e.until(() => e.inspect(id).RestartCount === 1 && state(id).Status === 'exited');
    await e.containers.start(id);
    await e.until(() => starts(id) === 4 && state(id).Status === 'exited', 1500);
    assert.equal(e.inspect(id).RestartCount, 1);
  });

  test('docker restart also resets RestartCount', async () => {
    const id = await create('c', 'on-failure', 1);
    e.runtime.behave(id, { exitOnStart: 2 });
    await e.containers.start(id);
    await e.until(() => e.inspect(id).RestartCount === 1 && state(id).Status === 'exited');
    e.runtime.behave(id, { exitOnStart: undefined });
    await e.containers.restart(id, 10);
    assert.equal(e.inspect(id).RestartCount, 0);
    assert.equal(state(id).Status, 'running');
  });
});

describe('the back-off window', () => {
  test('always: during the back-off Status restarting, Restarting and Running true, Pid 0, the exit code kept', async () => {
    const id = await create('c', 'always');
    await e.containers.start(id);
    e.runtime.exit(id, 4);
    await e.until(() => state(id).Restarting);
    const s = state(id);
    assert.deepEqual([s.Status, s.Running, s.Restarting, s.Pid, s.ExitCode], ['restarting', true, true, 0, 4]);
    assert.equal(e.inspect(id).RestartCount, 1);
    assert.deepEqual(e.containers.list({ all: false, size: false, filters: { status: ['restarting'] } }).map((c) => c.Id), [id]);
    await e.until(() => state(id).Status === 'running');
    assert.equal(state(id).Restarting, false);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die', 'start']);
  });

  test('delays double from 100 ms: 100, 200, 400, 800 (mock timers)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    e.runtime.behave(id, { exitOnStart: 1 });
    await e.containers.start(id);
    const l = e.containers.registry.live.get(id)!;
    for (const [i, delay] of [100, 200, 400, 800].entries()) {
      await settle(() => l.restartTimer !== undefined && starts(id) === i + 1);
      mock.timers.tick(delay - 1);
      await new Promise((r) => setImmediate(r));
      assert.equal(starts(id), i + 1, `no restart before ${delay} ms`);
      mock.timers.tick(1);
      await settle(() => starts(id) === i + 2);
    }
    assert.equal(e.inspect(id).RestartCount, 4);
  });

  test('docker stop during the back-off cancels the restart: exited, nothing starts later', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    e.runtime.exit(id, 1);
    await settle(() => state(id).Restarting);
    await e.containers.stop(id, 10);
    const s = state(id);
    assert.deepEqual([s.Status, s.Running, s.Restarting], ['exited', false, false]);
    mock.timers.tick(120_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(starts(id), 1);
    // A user start works as usual afterwards.
    await e.containers.start(id);
    assert.equal(state(id).Status, 'running');
  });

  test('kill during the back-off cancels the restart', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'unless-stopped');
    await e.containers.start(id);
    e.runtime.exit(id, 1);
    await settle(() => state(id).Restarting);
    await e.containers.kill(id, null);
    mock.timers.tick(120_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(state(id).Status, 'exited');
    assert.equal(starts(id), 1);
  });

  test('rm during the back-off: 409 restarting without force; rm -f removes it and nothing starts', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    e.runtime.exit(id, 1);
    await settle(() => state(id).Restarting);
    await assert.rejects(e.containers.remove(id, {}), { status: 409, message: 'cannot remove container "/c": container is restarting: stop the container before removing or force remove' });
    await e.containers.remove(id, { force: true });
    mock.timers.tick(120_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(e.containers.has(id), false);
    assert.equal(e.runtime.procs.has(id), false);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die', 'destroy']);
  });

  test('pause and exec during the back-off: 409, wait until the container is running (docker\'s errContainerIsRestarting)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    e.runtime.exit(id, 1);
    await settle(() => state(id).Restarting);
    const msg = `Container ${id} is restarting, wait until the container is running`;
    await assert.rejects(e.containers.pause(id), { status: 409, message: msg });
    assert.throws(() => e.containers.execs.create(id, { Cmd: ['true'] }), { status: 409, message: msg });
    assert.equal(state(id).Status, 'restarting');
    await e.containers.stop(id, 10);
  });

  test('a stop of a running always container is not restarted', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    await e.containers.stop(id, 10);
    mock.timers.tick(120_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(state(id).Status, 'exited');
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die', 'stop']);
  });

  test('--rm: an exit is not restarted, the container goes', async () => {
    const id = (await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '1'], HostConfig: { AutoRemove: true } }, 'r')).Id;
    await e.containers.start(id);
    const gone = e.containers.wait(id, 'removed');
    e.runtime.exit(id, 1);
    await gone;
    assert.deepEqual(e.actions(id), ['create', 'start', 'die', 'destroy']);
  });
});

describe('daemon restart', () => {
  test('live-restore: a running container keeps running with its pid; its later exit is recorded', async () => {
    const id = await create('c', 'no');
    await e.containers.start(id);
    const pid = state(id).Pid;
    await e.restart(true);
    assert.deepEqual([state(id).Status, state(id).Pid], ['running', pid]);
    e.runtime.exit(id, 6);
    await e.until(() => state(id).Status === 'exited');
    assert.equal(state(id).ExitCode, 6);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die']);
  });

  test('live-restore: a paused container stays paused', async () => {
    const id = await create('c', 'no');
    await e.containers.start(id);
    await e.containers.pause(id);
    await e.restart(true);
    assert.deepEqual([state(id).Status, state(id).Paused], ['paused', true]);
  });

  test('live-restore off: running containers are killed (137); always restarts, no does not', async () => {
    const a = await create('a', 'always');
    const n = await create('n', 'no');
    await e.containers.start(a);
    await e.containers.start(n);
    await e.restart(false);
    await e.until(() => state(n).Status === 'exited' && state(a).Status === 'running' && starts(a) === 2);
    assert.equal(state(n).ExitCode, 137);
    assert.equal(e.inspect(a).RestartCount, 1);
  });

  test('stopped by the user: always starts at daemon start, unless-stopped does not', async () => {
    const a = await create('a', 'always');
    const u = await create('u', 'unless-stopped');
    for (const id of [a, u]) { await e.containers.start(id); await e.containers.stop(id, 10); }
    await e.restart(true);
    await e.until(() => state(a).Status === 'running');
    assert.equal(state(u).Status, 'exited');
  });

  test('never started: not started by a policy at daemon start', async () => {
    const a = await create('a', 'always');
    await e.restart(true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(state(a).Status, 'created');
  });

  test('killed during the back-off: restarts at daemon start', async () => {
    const id = await create('c', 'on-failure', 5);
    await e.containers.start(id);
    e.runtime.exit(id, 1);
    await e.until(() => state(id).Restarting);
    await e.restart(true);
    await e.until(() => state(id).Status === 'running');
    assert.equal(starts(id), 2);
  });

  test('a runtime container the record does not know as running is deleted at daemon start', async () => {
    const id = await create('c', 'no');
    // A start killed between runtime create and the saved state.
    await e.runtime.create(id, { spec: { ociVersion: '1.0.2', process: { args: ['sleep', '100'], cwd: '/', user: { uid: 0, gid: 0 } }, root: { path: '/' } } as never });
    await e.restart(true);
    assert.equal(e.runtime.procs.has(id), false);
    await e.containers.start(id);
    assert.equal(state(id).Status, 'running');
  });
});
