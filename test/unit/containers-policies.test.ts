/**
 * Restart policies, `docker ps` filters and `container prune` of the real ContainersService
 * over fake drivers (test/fakes), beside containers-restart.test.ts and
 * containers-list.test.ts: which exits each policy restarts, what a user's stop, kill (by
 * signal) and start do to a policy, the back-off (timed with node:test's mock timers), the
 * policies at a daemon start without live-restore, the default `ps` against `-a` and the
 * filters around restarting containers, and what prune takes. Docker 20.10 behaviour, checked
 * against the reference dockerd and moby's restartmanager.
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
const count = (id: string) => e.inspect(id).RestartCount;
const starts = (id: string) => e.actions(id).filter((a) => a === 'start').length;
const live = (id: string) => e.containers.registry.live.get(id)!;
const turn = () => new Promise((r) => setImmediate(r));
/** Polls on setImmediate (setTimeout may be mocked). */
async function settle(cond: () => boolean, rounds = 20_000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    await turn();
  }
  throw new Error(`not settled: ${cond.toString()}`);
}
/** Lets every pending timer fire (the longest back-off is a minute) and the engine settle. */
async function drain(): Promise<void> {
  mock.timers.tick(120_000);
  for (let i = 0; i < 50; i++) await turn();
}
/** The container exits with `code` and its policy puts it into the back-off. */
async function exitIntoBackoff(id: string, code: number): Promise<void> {
  e.runtime.exit(id, code);
  await settle(() => state(id).Restarting && live(id).restartTimer !== undefined);
}
const ps = (filters: Record<string, string[]> = {}, all = false) =>
  e.containers.list({ all, size: false, filters }).map((c) => (c.Names as string[])[0]!.slice(1)).sort();

describe('which exits a policy restarts', () => {
  for (const [policy, code, restarts] of [
    ['always', 0, true], ['always', 3, true], ['unless-stopped', 0, true], ['unless-stopped', 137, true],
    ['on-failure', 1, true], ['on-failure', 0, false], ['no', 1, false], ['', 1, false],
  ] as const) {
    test(`${policy || '(empty)'}: exit ${code} ${restarts ? 'is' : 'is not'} restarted`, async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const id = await create('c', policy);
      await e.containers.start(id);
      e.runtime.exit(id, code);
      if (restarts) {
        await settle(() => state(id).Restarting);
        assert.deepEqual([state(id).Status, count(id), state(id).ExitCode], ['restarting', 1, code]);
        mock.timers.tick(100);
        await settle(() => state(id).Status === 'running');
        assert.deepEqual(e.actions(id), ['create', 'start', 'die', 'start']);
      } else {
        await settle(() => state(id).Status === 'exited');
        await drain();
        assert.deepEqual([state(id).Status, count(id), starts(id)], ['exited', 0, 1]);
      }
    });
  }

  test('on-failure without a maximum (MaximumRetryCount 0) retries without end', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'on-failure', 0);
    e.runtime.behave(id, { exitOnStart: 2 });
    await e.containers.start(id);
    for (let i = 1; i <= 6; i++) {
      await settle(() => live(id).restartTimer !== undefined && count(id) === i);
      mock.timers.tick(60_000);
    }
    await settle(() => count(id) === 7);
    assert.equal(state(id).Status, 'restarting');
    await e.containers.stop(id, 10);
  });

  test('on-failure:3 stops after 3 restarts, exited with the last code; a later exit 0 of a user start is not restarted', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'on-failure', 3);
    e.runtime.behave(id, { exitOnStart: 9 });
    await e.containers.start(id);
    for (let i = 1; i <= 3; i++) {
      await settle(() => live(id).restartTimer !== undefined && count(id) === i);
      mock.timers.tick(60_000);
    }
    await settle(() => starts(id) === 4 && state(id).Status === 'exited');
    await drain();
    assert.deepEqual([state(id).Status, state(id).ExitCode, count(id), starts(id)], ['exited', 9, 3, 4]);
    e.runtime.behave(id, { exitOnStart: 0 });
    await e.containers.start(id);
    await settle(() => state(id).Status === 'exited');
    await drain();
    assert.deepEqual([state(id).ExitCode, count(id), starts(id)], [0, 0, 5]);
  });
});

describe('a user stop, kill or start and the policy', () => {
  for (const policy of ['always', 'unless-stopped']) {
    test(`${policy}: docker stop of a running container is not restarted`, async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const id = await create('c', policy);
      await e.containers.start(id);
      await e.containers.stop(id, 10);
      await drain();
      assert.deepEqual([state(id).Status, state(id).ExitCode, count(id), starts(id)], ['exited', 143, 0, 1]);
    });

    test(`${policy}: docker kill (SIGKILL) is not restarted`, async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const id = await create('c', policy);
      await e.containers.start(id);
      await e.containers.kill(id, null);
      await drain();
      assert.deepEqual([state(id).Status, state(id).ExitCode, starts(id)], ['exited', 137, 1]);
      assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die']);
    });

    test(`${policy}: docker kill with the stop signal is not restarted`, async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const id = await create('c', policy, 0, { StopSignal: 'SIGUSR2' });
      await e.containers.start(id);
      await e.containers.kill(id, 'USR2');
      await settle(() => state(id).Status === 'exited');
      await drain();
      assert.deepEqual([state(id).Status, state(id).ExitCode, starts(id)], ['exited', 140, 1]);
    });
  }

  test('always: docker kill with another signal, no stop signal configured: not restarted (docker 20.10\'s ExitOnNext)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    await e.containers.kill(id, 'USR1');
    await settle(() => state(id).Status === 'exited');
    await drain();
    assert.deepEqual([state(id).Status, state(id).ExitCode, starts(id)], ['exited', 138, 1]);
  });

  test('another signal than the configured stop signal: always restarts, unless-stopped does not (it was stopped by the user)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const a = await create('a', 'always', 0, { StopSignal: 'SIGUSR2' });
    const u = await create('u', 'unless-stopped', 0, { StopSignal: 'SIGUSR2' });
    for (const id of [a, u]) { await e.containers.start(id); await e.containers.kill(id, 'USR1'); }
    await settle(() => state(a).Restarting && state(u).Status === 'exited');
    mock.timers.tick(100);
    await settle(() => state(a).Status === 'running');
    await drain();
    assert.deepEqual([count(a), starts(a)], [1, 2]);
    assert.deepEqual([state(u).Status, state(u).ExitCode, count(u), starts(u)], ['exited', 138, 0, 1]);
  });

  test('on-failure: docker stop is not restarted though the exit code is not 0', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'on-failure');
    await e.containers.start(id);
    await e.containers.stop(id, 10);
    await drain();
    assert.deepEqual([state(id).Status, state(id).ExitCode, starts(id)], ['exited', 143, 1]);
  });

  test('a user start of a stopped always container runs it again with RestartCount 0; the policy applies again', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    await exitIntoBackoff(id, 1);
    mock.timers.tick(100);
    await settle(() => state(id).Status === 'running' && count(id) === 1);
    await e.containers.stop(id, 10);
    await e.containers.start(id);
    assert.deepEqual([state(id).Status, count(id)], ['running', 0]);
    await exitIntoBackoff(id, 1);
    assert.equal(count(id), 1);
    mock.timers.tick(100);
    await settle(() => state(id).Status === 'running');
  });
});

describe('the back-off', () => {
  test('unless-stopped: a stop during the back-off ends it as a user stop: exited, not started at the next daemon start', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'unless-stopped');
    await e.containers.start(id);
    await exitIntoBackoff(id, 1);
    assert.deepEqual(ps({}, false), ['c'], 'a restarting container is Running: `docker ps` lists it');
    await e.containers.stop(id, 10);
    assert.deepEqual([state(id).Status, state(id).Restarting, state(id).Running, state(id).ExitCode], ['exited', false, false, 1]);
    await drain();
    assert.equal(starts(id), 1);
    await e.restart(false);
    await drain();
    assert.equal(state(id).Status, 'exited');
  });

  test('docker start during the back-off: 304, the back-off goes on (RestartCount kept)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    await exitIntoBackoff(id, 1);
    await assert.rejects(e.containers.start(id), { status: 304 });
    assert.deepEqual([state(id).Status, count(id), starts(id)], ['restarting', 1, 1]);
    mock.timers.tick(100);
    await settle(() => state(id).Status === 'running');
    assert.equal(count(id), 1);
  });

  test('a second stop of a container whose back-off a stop ended: 304', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    await exitIntoBackoff(id, 1);
    await e.containers.stop(id, 10);
    await assert.rejects(e.containers.stop(id, 10), { status: 304 });
  });

  test('a run of 10 s or more starts the back-off at 100 ms again', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    const started = () => Date.parse(state(id).StartedAt);
    for (const [i, delay] of [100, 200, 400].entries()) {
      await exitIntoBackoff(id, 1);
      mock.timers.tick(delay);
      await settle(() => state(id).Status === 'running' && starts(id) === i + 2);
    }
    // Ran 10 s: the next delay is 100 ms, not 800.
    e.runtime.exit(id, 1, { at: new Date(started() + 10_000) });
    await settle(() => live(id).restartTimer !== undefined);
    mock.timers.tick(100);
    await settle(() => state(id).Status === 'running' && starts(id) === 5);
    // And the quick exit after it doubles from there: 200 ms.
    await exitIntoBackoff(id, 1);
    mock.timers.tick(199);
    assert.ok(live(id).restartTimer !== undefined, 'no restart before 200 ms');
    mock.timers.tick(1);
    await settle(() => starts(id) === 6);
  });

  test('the delay doubles up to a minute (docker\'s maxRestartTimeout) and stays there', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    e.runtime.behave(id, { exitOnStart: 1 });
    await e.containers.start(id);
    const delays = [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000];
    for (const [i, delay] of delays.entries()) {
      await settle(() => live(id).restartTimer !== undefined && starts(id) === i + 1);
      mock.timers.tick(delay - 1);
      assert.ok(live(id).restartTimer !== undefined, `no restart before ${delay} ms (restart ${i + 1})`);
      mock.timers.tick(1);
      await settle(() => starts(id) === i + 2);
    }
    await settle(() => live(id).restartTimer !== undefined);
    await e.containers.stop(id, 10);
  });
});

describe('daemon start without live-restore', () => {
  test('running containers are killed (137): unless-stopped and on-failure restart, no does not', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const u = await create('u', 'unless-stopped');
    const f = await create('f', 'on-failure', 2);
    const n = await create('n', 'no');
    for (const id of [u, f, n]) await e.containers.start(id);
    await e.restart(false);
    await settle(() => state(u).Restarting && state(f).Restarting && state(n).Status === 'exited');
    mock.timers.tick(100);
    await settle(() => state(u).Status === 'running' && state(f).Status === 'running');
    assert.deepEqual([starts(u), starts(f), state(n).ExitCode], [2, 2, 137]);
  });

  test('on-failure whose retries are spent stays exited', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'on-failure', 1);
    e.runtime.behave(id, { exitOnStart: 3 });
    await e.containers.start(id);
    await settle(() => live(id).restartTimer !== undefined);
    mock.timers.tick(100);
    await settle(() => count(id) === 1 && state(id).Status === 'exited' && starts(id) === 2);
    await e.restart(false);
    await drain();
    assert.deepEqual([state(id).Status, starts(id)], ['exited', 2]);
  });

  test('killed by the user: always starts, unless-stopped does not', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const a = await create('a', 'always');
    const u = await create('u', 'unless-stopped');
    for (const id of [a, u]) { await e.containers.start(id); await e.containers.kill(id, null); }
    await e.restart(false);
    await settle(() => state(a).Status === 'running');
    await drain();
    assert.equal(state(u).Status, 'exited');
  });
});

describe('ps: default and filters around the policies', () => {
  test('default: running, paused and restarting; -a adds created and exited', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const r = await create('running', 'no');
    const p = await create('paused', 'no');
    const b = await create('backoff', 'always');
    const x = await create('exited', 'no');
    await create('created', 'no');
    for (const id of [r, p, b, x]) await e.containers.start(id);
    await e.containers.pause(p);
    await e.containers.stop(x, 10);
    await exitIntoBackoff(b, 2);
    assert.deepEqual(ps(), ['backoff', 'paused', 'running']);
    assert.deepEqual(ps({}, true), ['backoff', 'created', 'exited', 'paused', 'running']);
    assert.deepEqual(ps({ status: ['restarting'] }), ['backoff']);
    assert.deepEqual(ps({ status: ['running'] }), ['running'], 'a restarting container is not status=running');
    assert.deepEqual(ps({ status: ['exited'] }), ['exited']);
    assert.deepEqual(ps({ exited: ['2'] }), [], 'exited= takes exited containers only, not one in its back-off');
    assert.deepEqual(ps({ exited: ['143'] }), ['exited']);
    assert.deepEqual(ps({ exited: ['0'] }), [], 'a created container has no exit code to match');
    const row = e.containers.list({ all: false, size: false, filters: { name: ['backoff'] } })[0]!;
    assert.equal(row.State, 'restarting');
    assert.match(String(row.Status), /^Restarting \(2\) .* ago$/);
    await e.containers.stop(b, 10);
    assert.deepEqual(ps(), ['paused', 'running']);
    assert.deepEqual(ps({ exited: ['2'] }), ['backoff']);
  });

  test('health: none for containers without a healthcheck; an unknown value is 400', async () => {
    const id = await create('c', 'no');
    await e.containers.start(id);
    assert.deepEqual(ps({ health: ['none'] }), ['c']);
    assert.deepEqual(ps({ health: ['healthy'] }), []);
    assert.deepEqual(ps({ health: ['starting', 'unhealthy'] }), []);
    assert.throws(() => ps({ health: ['sick'] }), { status: 400, message: 'Unrecognised filter value for health: sick' });
  });

  test('label and name filters combine with the default (running only)', async () => {
    const a = await create('web-1', 'no', 0, { Labels: { app: 'web' } });
    await create('web-2', 'no', 0, { Labels: { app: 'web' } });
    await create('db', 'no', 0, { Labels: { app: 'db' } });
    await e.containers.start(a);
    assert.deepEqual(ps({ label: ['app=web'] }), ['web-1']);
    assert.deepEqual(ps({ label: ['app=web'] }, true), ['web-1', 'web-2']);
    assert.deepEqual(ps({ name: ['web'] }, true), ['web-1', 'web-2']);
    assert.deepEqual(ps({ name: ['web'], label: ['app=db'] }, true), []);
    assert.deepEqual(ps({ id: [a.slice(0, 12)] }), ['web-1']);
  });
});

describe('prune and the policies', () => {
  test('a container in its back-off is not pruned (it is Running); one whose back-off a stop ended is', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = await create('c', 'always');
    await e.containers.start(id);
    await exitIntoBackoff(id, 1);
    e.log.length = 0;
    assert.deepEqual(await e.containers.prune({}), { ContainersDeleted: null, SpaceReclaimed: 0 });
    assert.equal(state(id).Status, 'restarting');
    await e.containers.stop(id, 10);
    const r = await e.containers.prune({});
    assert.deepEqual(r.ContainersDeleted, [id]);
    assert.equal(e.containers.has(id), false);
    await drain();
    assert.equal(e.runtime.procs.has(id), false, 'nothing started after the prune');
    assert.deepEqual(e.log.filter((x) => x.Actor.ID === id).map((x) => x.Action), ['destroy']);
  });

  test('label!=key, label=key=value and until as a Unix time or a duration', async () => {
    const mk = async (name: string, labels: Record<string, string>) => (await e.containers.create({ Image: 'busybox', Cmd: ['true'], Labels: labels }, name)).Id;
    const a = await mk('a', { keep: '1' });
    const b = await mk('b', { tier: 'x' });
    const c = await mk('c', { tier: 'y' });
    assert.deepEqual((await e.containers.prune({ label: ['tier=y'] })).ContainersDeleted, [c]);
    assert.equal((await e.containers.prune({ until: [String(Math.floor(Date.now() / 1000) - 3600)] })).ContainersDeleted, null);
    assert.equal((await e.containers.prune({ until: ['10m'] })).ContainersDeleted, null);
    assert.deepEqual((await e.containers.prune({ 'label!': ['keep'], until: [String(Math.floor(Date.now() / 1000) + 60)] })).ContainersDeleted, [b]);
    assert.ok(e.containers.has(a));
    assert.throws(() => e.containers.prune({ until: ['tomorrow'] }), { status: 400 });
    assert.ok(e.containers.has(a));
  });
});
