/**
 * The container state machine (state-machine.ts) and its one writer, `Container`
 * (container.ts): the transition table, illegal transitions (500, or 409 where a client's
 * request raced another change), the events each change publishes, one save per change (save
 * vs saveOrKeep on a full disk), and that Status, Running, Paused, Restarting and Dead always
 * agree. Pure table tests, then the real ContainersService over the fake drivers of test/fakes.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeEngine, type FakeEngine } from '../fakes/engine.ts';
import {
  STATUSES, TRANSITIONS, IllegalTransitionError, canTransition, flagsOf, isConsistent, nextState, reachable, type Change, type Status,
} from '../../src/engine/containers/state-machine.ts';
import { Container, type ContainerHome } from '../../src/engine/containers/container.ts';
import { freshState, type ContainerRecord, type ContainerState } from '../../src/engine/containers/record.ts';
import { nextHealth } from '../../src/engine/containers/health.ts';
import { ConflictError } from '../../src/common/errors.ts';

const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('the transition table', () => {
  const others = (...not: Status[]) => STATUSES.filter((x) => !not.includes(x));
  /** The table, written out: change → from → to. */
  const expected: Record<Change, [Status[], Status[]]> = {
    start: [['created', 'exited', 'restarting'], ['running']],
    startFailed: [['created', 'exited', 'restarting'], ['created', 'exited']],
    exit: [['running', 'paused', 'removing'], ['exited', 'restarting']],
    restartEnded: [['restarting'], ['exited']],
    pause: [['running'], ['paused']],
    unpause: [['paused'], ['running']],
    restore: [['running', 'paused', 'removing'], ['running', 'paused']],
    remove: [others('removing'), ['removing']],
    removeFailed: [['removing'], others('removing')],
    removeResumed: [['removing'], ['running', 'exited']],
  };

  test('exactly these transitions are legal, for each change', () => {
    assert.deepEqual(Object.keys(TRANSITIONS).sort(), Object.keys(expected).sort());
    for (const [change, [from, to]] of Object.entries(expected) as [Change, [Status[], Status[]]][]) {
      for (const a of STATUSES) {
        for (const b of STATUSES) assert.equal(canTransition(change, a, b), from.includes(a) && to.includes(b), `${change}: ${a} → ${b}`);
      }
    }
  });

  test('some that must never happen, by any change', () => {
    const pairs = new Set(reachable().map(([a, b]) => `${a}→${b}`));
    for (const p of ['created→paused', 'exited→paused', 'restarting→paused', 'running→created', 'dead→running', 'removing→removing', 'restarting→restarting', 'created→restarting', 'exited→restarting']) {
      assert.equal(pairs.has(p), false, p);
    }
    assert.ok(pairs.has('removing→dead') && pairs.has('dead→removing'));
  });

  test('every legal transition gives a consistent state; the patch is applied; the input is left alone', () => {
    for (const [change, [from, to]] of Object.entries(expected) as [Change, [Status[], Status[]]][]) {
      for (const a of from) {
        for (const b of to) {
          const cur: ContainerState = { ...freshState(), Status: a, ...flagsOf(a, { Running: true, Paused: false, Restarting: false, Dead: false }) };
          assert.ok(isConsistent(cur), `${a} itself`);
          const copy = structuredClone(cur);
          const next = nextState('c1', cur, change, b, { Pid: 7, ExitCode: 3 });
          assert.equal(next.Status, b);
          assert.equal(next.Pid, 7);
          assert.equal(next.ExitCode, 3);
          assert.ok(isConsistent(next), `${change}: ${a} → ${b}: ${JSON.stringify(next)}`);
          assert.deepEqual(cur, copy);
        }
      }
    }
  });

  test('an illegal transition throws an internal error naming the container, both states and the change', () => {
    const cur = freshState();
    assert.throws(() => nextState('abc', cur, 'pause', 'paused', {}), (err: IllegalTransitionError) => {
      assert.ok(err instanceof IllegalTransitionError);
      assert.equal(err.status, 500);
      assert.equal(err.message, 'internal error: container abc: illegal state transition created → paused (pause)');
      return true;
    });
    assert.throws(() => nextState('abc', { ...cur, Status: 'exited' }, 'start', 'exited', {}), IllegalTransitionError);
  });

  test('flags: each status implies its own; removing keeps those of the state it overlays', () => {
    assert.deepEqual(flagsOf('running', flagsOf('created', freshState())), { Running: true, Paused: false, Restarting: false, Dead: false });
    assert.deepEqual(flagsOf('paused', freshState()), { Running: true, Paused: true, Restarting: false, Dead: false });
    assert.deepEqual(flagsOf('restarting', freshState()), { Running: true, Paused: false, Restarting: true, Dead: false });
    assert.deepEqual(flagsOf('dead', freshState()), { Running: false, Paused: false, Restarting: false, Dead: true });
    for (const s of ['created', 'exited'] as Status[]) assert.deepEqual(flagsOf(s, { Running: true, Paused: true, Restarting: true, Dead: true }), { Running: false, Paused: false, Restarting: false, Dead: false });
    const paused = { Running: true, Paused: true, Restarting: false, Dead: false };
    assert.deepEqual(flagsOf('removing', paused), paused);
  });

  test('isConsistent catches the old live-restore state: Paused without its Status', () => {
    assert.equal(isConsistent({ ...freshState(), Status: 'running', Running: true, Paused: true }), false);
    assert.equal(isConsistent({ ...freshState(), Status: 'exited', Running: true }), false);
    assert.equal(isConsistent({ ...freshState(), Status: 'restarting', Running: true, Restarting: true }), true);
  });
});

/** A Container over a recording home: what it saved and published. */
function bare(state: Partial<ContainerState> = {}, o: { failSave?: () => Error } = {}) {
  const saves: string[] = [];
  const kept: string[] = [];
  const events: string[] = [];
  const home: ContainerHome = {
    save: (c) => { if (o.failSave) throw o.failSave(); saves.push(c.state.Status); },
    saveOrKeep: (c, what) => { if (o.failSave) { kept.push(what); return; } saves.push(c.state.Status); },
    deps: { events: { publish: (_t, action) => { events.push(action); } } },
  };
  const rec = {
    Id: 'c1', Name: '/c1', Config: { Image: 'busybox', Labels: {} }, HostConfig: {}, RestartCount: 0,
    HasBeenStarted: false, ManuallyStopped: false, State: { ...freshState(), ...state },
  } as unknown as ContainerRecord;
  return { c: new Container(rec, home), rec, saves, kept, events };
}

describe('Container: one writer', () => {
  test('each change: checked, flags set, saved once, then its events', () => {
    const { c, rec, saves, events } = bare();
    c.started(42);
    assert.deepEqual([saves, events], [['running'], ['start']]);
    assert.equal(rec.State.Pid, 42);
    assert.equal(rec.HasBeenStarted, true);
    c.paused();
    c.unpaused();
    c.exited({ exitCode: 3, exitedAt: new Date(0), oomKilled: true }, false);
    assert.deepEqual(saves, ['running', 'paused', 'running', 'exited']);
    assert.deepEqual(events, ['start', 'pause', 'unpause', 'oom', 'die']);
    assert.deepEqual({ ...rec.State }, { ...rec.State, Status: 'exited', Running: false, Paused: false, ExitCode: 3, OOMKilled: true, Pid: 0, FinishedAt: new Date(0).toISOString() });
    assert.ok(isConsistent(rec.State));
  });

  test('an exit under a restart policy is one change to restarting (RestartCount counted), with its die event', () => {
    const { c, rec, saves, events } = bare({ Status: 'running', Running: true });
    c.exited({ exitCode: 1, exitedAt: new Date(), oomKilled: false }, true);
    assert.deepEqual([saves, events], [['restarting'], ['die']]);
    assert.equal(rec.RestartCount, 1);
    assert.ok(rec.State.Running && rec.State.Restarting && !rec.State.Paused);
    c.restartEnded(true);
    assert.equal(rec.State.Status, 'exited');
    assert.equal(rec.ManuallyStopped, true);
  });

  test('illegal changes throw, write nothing, save nothing, publish nothing', () => {
    const { c, rec, saves, events } = bare({ Status: 'exited' });
    const before = structuredClone(rec.State);
    assert.throws(() => c.restartEnded(false), IllegalTransitionError);
    assert.throws(() => c.restored(1, false), IllegalTransitionError);
    assert.throws(() => c.removalFailed('running'), IllegalTransitionError);
    assert.throws(() => c.removalResumed(), IllegalTransitionError);
    assert.throws(() => c.exited({ exitCode: 0, exitedAt: new Date(), oomKilled: false }, false), IllegalTransitionError);
    assert.deepEqual(rec.State, before);
    assert.deepEqual([saves, events], [[], []]);
  });

  test('where a client can cause it (a request raced another change): 409 with docker\'s words', () => {
    const exited = bare({ Status: 'exited' }).c;
    assert.throws(() => exited.paused(), (e: ConflictError) => e instanceof ConflictError && e.message === 'Container c1 is not running');
    assert.throws(() => exited.unpaused(), (e: ConflictError) => e instanceof ConflictError && e.message === 'Container c1 is not paused');
    const removing = bare({ Status: 'removing' }).c;
    assert.throws(() => removing.removing(false), (e: ConflictError) => e instanceof ConflictError && e.message === 'removal of container c1 is already in progress');
    const dead = bare({ Status: 'dead', Dead: true }).c;
    assert.throws(() => dead.started(1), (e: ConflictError) => e instanceof ConflictError && /marked for removal/.test(e.message));
  });

  test('removing overlays the state and goes back to it when rm fails', () => {
    const { c, rec, saves } = bare({ Status: 'paused', Running: true, Paused: true });
    const was = c.removing(true);
    assert.equal(was, 'paused');
    assert.deepEqual(rec.Removing, { volumes: true });
    assert.ok(rec.State.Status === 'removing' && rec.State.Running && rec.State.Paused);
    c.removalFailed(was);
    assert.equal(rec.State.Status, 'paused');
    assert.equal(rec.Removing, undefined);
    assert.deepEqual(saves, ['removing', 'paused']);
  });

  test('a full disk: the exit and the rm mark are kept in memory (saveOrKeep); a start that cannot be saved did not happen', () => {
    const { c, rec, kept, events } = bare({ Status: 'running', Running: true }, { failSave: diskFull });
    c.exited({ exitCode: 137, exitedAt: new Date(), oomKilled: false }, false);
    assert.equal(rec.State.Status, 'exited');
    assert.deepEqual(kept, ['the exit']);
    assert.deepEqual(events, ['die']);
    assert.throws(() => c.started(5), /disk is full/);
    assert.equal(rec.State.Status, 'exited', 'the unsaved start is undone');
    assert.deepEqual(events, ['die'], 'no start event');
    c.removing(false);
    assert.deepEqual(kept, ['the exit', 'the start of its removal']);
  });

  test('health: reset and end are written with the change that caused them; a probe result is saved, a new Status is an event', () => {
    const { c, rec, saves, events } = bare();
    c.started(1, () => c.healthStarting(true));
    assert.deepEqual(rec.State.Health, { Status: 'starting', FailingStreak: 0, Log: [] });
    const r = { Start: new Date().toISOString(), End: new Date().toISOString(), ExitCode: 0, Output: 'ok' };
    c.healthResult(nextHealth(rec.State.Health!, r, {}, rec.State.StartedAt));
    c.healthResult(nextHealth(rec.State.Health!, r, {}, rec.State.StartedAt));
    assert.deepEqual(rec.State.Health, { Status: 'healthy', FailingStreak: 0, Log: [r, r] });
    assert.deepEqual(events, ['start', 'health_status: healthy']);
    assert.equal(saves.length, 3);
    c.healthEnded();
    assert.equal(rec.State.Health!.Status, 'unhealthy');
    assert.equal(saves.length, 3, 'saved with the stop or pause');
  });

  test('nextHealth: docker\'s streak, retries and start period; the Log keeps 5', () => {
    const t0 = '2024-01-01T00:00:00.000Z';
    const at = (ms: number, code: number) => ({ Start: new Date(Date.parse(t0) + ms).toISOString(), End: t0, ExitCode: code, Output: '' });
    let h = { Status: 'starting' as const, FailingStreak: 0, Log: [] };
    let n = nextHealth(h, at(10, 1), { StartPeriod: 1e9 }, t0);
    assert.deepEqual([n.Status, n.FailingStreak], ['starting', 0], 'not counted in the start period');
    for (let i = 0; i < 3; i++) n = nextHealth(n, at(2000 + i, 1), { Retries: 3 }, t0);
    assert.deepEqual([n.Status, n.FailingStreak, n.Log.length], ['unhealthy', 3, 4]);
    for (let i = 0; i < 3; i++) n = nextHealth(n, at(3000, 0), {}, t0);
    assert.deepEqual([n.Status, n.FailingStreak, n.Log.length], ['healthy', 0, 5]);
    assert.equal(h.Log.length, 0, 'pure');
  });
});

describe('ContainersService over fakes: every change through the machine', () => {
  let e: FakeEngine;
  /** Saves of each container's record, as the state each save wrote. */
  let saves: Map<string, string[]>;
  const spy = () => {
    const store = e.containers.registry.store;
    const save = store.save.bind(store);
    store.save = (rec: ContainerRecord) => {
      save(rec);
      saves.set(rec.Id, [...(saves.get(rec.Id) ?? []), rec.State.Status]);
    };
  };
  beforeEach(async () => { e = await fakeEngine(); saves = new Map(); spy(); });
  afterEach(async () => { await e.close(); });

  const create = async (name: string, body: Record<string, unknown> = {}) => (await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ...body }, name)).Id;
  const consistent = (id: string) => assert.ok(isConsistent(e.containers.registry.get(id).rec.State), JSON.stringify(e.inspect(id).State));

  test('run, pause, unpause, stop, start, rm: one save per change, the events, consistent flags', async () => {
    const id = await create('c1');
    await e.containers.start(id);
    consistent(id);
    await e.containers.pause(id);
    consistent(id);
    await e.containers.unpause(id);
    await e.containers.stop(id, 1);
    await e.until(() => e.inspect(id).State.Status === 'exited');
    consistent(id);
    // stop saves its ManuallyStopped mark before the exit.
    assert.deepEqual(saves.get(id), ['running', 'paused', 'running', 'running', 'exited']);
    assert.deepEqual(e.actions(id), ['create', 'start', 'pause', 'unpause', 'kill', 'die', 'stop']);
    await e.containers.remove(id, {});
    assert.deepEqual(saves.get(id)!.slice(-1), ['removing']);
    assert.deepEqual(e.actions(id).slice(-1), ['destroy']);
  });

  test('a failed start: one save, no event, created (never ran) or exited (ran before)', async () => {
    const id = await create('c1');
    e.runtime.behave(id, { failStart: new Error('boom') });
    await assert.rejects(e.containers.start(id), /boom/);
    assert.equal(e.inspect(id).State.Status, 'created');
    assert.deepEqual(saves.get(id), ['created']);
    assert.deepEqual(e.actions(id), ['create']);
    consistent(id);
  });

  test('an exit with a restart policy: restarting in one save, then running again', async () => {
    const id = await create('c1', { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } } });
    await e.containers.start(id);
    e.runtime.exit(id, 1);
    await e.until(() => e.inspect(id).State.Status === 'restarting');
    consistent(id);
    await e.until(() => e.inspect(id).State.Status === 'running', 3000);
    assert.deepEqual(saves.get(id), ['running', 'restarting', 'running']);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die', 'start']);
    consistent(id);
  });

  test('a pause or unpause that raced an exit is a 409, not a state that lies', async () => {
    const id = await create('c1');
    await e.containers.start(id);
    await e.containers.pause(id);
    const l = e.containers.registry.get(id);
    const resume = e.runtime.resume.bind(e.runtime);
    // The process dies while the unpause is on its way.
    e.runtime.resume = async (cid: string) => { await resume(cid); e.runtime.exit(cid, 0); await e.until(() => l.rec.State.Status === 'exited'); };
    await assert.rejects(e.containers.unpause(id), (err: ConflictError) => err.status === 409 && err.message === `Container ${id} is not paused`);
    assert.equal(e.inspect(id).State.Status, 'exited');
    consistent(id);
  });

  test('live-restore of a frozen container: paused with its flags; one a commit froze is thawed to running', async () => {
    const a = await create('a');
    const b = await create('b');
    await e.containers.start(a);
    await e.containers.start(b);
    await e.containers.pause(a);
    await e.containers.pause(b, { forCommit: true });
    await e.restart(true);
    spy();
    saves.clear();
    assert.deepEqual(pick(e.inspect(a).State), { Status: 'paused', Running: true, Paused: true });
    assert.deepEqual(pick(e.inspect(b).State), { Status: 'running', Running: true, Paused: false });
    assert.equal(e.containers.registry.get(b).rec.CommitPause, undefined);
    consistent(a);
    consistent(b);
    assert.deepEqual([saves.get(a), saves.get(b)], [undefined, undefined], 'restore saved before the spy; nothing after');
  });

  test('a removal a crash cut short is finished at daemon start; a daemon start ends a restart backoff', async () => {
    const id = await create('c1');
    e.containers.registry.get(id).removing(true);
    await e.restart(true);
    assert.equal(e.containers.has(id), false);
    assert.ok(e.actions(id).includes('destroy'));
  });

  test('random walks keep Status and the flags in agreement', async () => {
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const id = await create('walk');
    const ops = [
      () => e.containers.start(id), () => e.containers.pause(id), () => e.containers.unpause(id),
      () => e.containers.kill(id, 'SIGKILL'), () => e.containers.stop(id, 0), () => e.containers.restart(id, 0),
      async () => { if (e.runtime.procs.get(id)?.status === 'running') e.runtime.exit(id, 3); },
    ];
    for (let i = 0; i < 60; i++) {
      await ops[rnd(ops.length)]!().catch((err: { status?: number }) => assert.ok(err.status && err.status < 500, String(err)));
      await new Promise((r) => setImmediate(r));
      consistent(id);
      const st = e.inspect(id).State;
      assert.equal(st.Status === 'running' || st.Status === 'paused', ['running', 'paused'].includes(e.runtime.procs.get(id)?.status ?? ''), `${i}: ${st.Status} vs runtime ${e.runtime.procs.get(id)?.status}`);
    }
  });
});

function pick(s: { Status: string; Running: boolean; Paused: boolean }) {
  return { Status: s.Status, Running: s.Running, Paused: s.Paused };
}
