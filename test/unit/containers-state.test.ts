/**
 * The container state machine of the real ContainersService (service.ts, lifecycle.ts,
 * remove.ts) over in-memory fake drivers (test/fakes): create → start → pause/unpause →
 * stop/kill → exited, restart, rm; docker's status codes and messages, the State fields each
 * step sets and the events it publishes, in docker 20.10's order (checked against the
 * reference dockerd). No root, no runc: the whole file runs in well under two seconds.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fakeEngine, type FakeEngine } from '../fakes/engine.ts';

const ZERO = '0001-01-01T00:00:00Z';
let e: FakeEngine;
beforeEach(async () => { e = await fakeEngine(); });
afterEach(async () => { await e.close(); });

/** A created container running `cmd` (sleeps until signalled by default). */
async function create(name: string, body: Record<string, unknown> = {}): Promise<string> {
  return (await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ...body }, name)).Id;
}
async function run(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const id = await create(name, body);
  await e.containers.start(id);
  return id;
}
const status = (id: string) => e.inspect(id).State.Status;
const rejectsWith = (p: Promise<unknown> | (() => unknown), code: number, message: string | RegExp) =>
  assert.rejects(async () => (typeof p === 'function' ? p() : p), (err: Error & { status?: number }) => {
    assert.equal(err.status, code, `${err.status} ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message); else assert.match(err.message, message);
    return true;
  });

describe('create and start', () => {
  test('create: state created, zero times, a create event with name and image', async () => {
    const id = await create('c1', { Labels: { app: 'x' } });
    const s = e.inspect(id).State;
    assert.deepEqual(
      { ...s },
      { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO, FinishedAt: ZERO },
    );
    assert.deepEqual(e.actions(id), ['create']);
    assert.deepEqual(e.log.at(-1)!.Actor.Attributes, { image: 'busybox', name: 'c1', app: 'x' });
    assert.equal(e.runtime.procs.size, 0, 'nothing runs before start');
    assert.ok(e.snapshots.snapshots.has(id), 'the rootfs snapshot is prepared at create');
  });

  test('start: running with the runtime pid and StartedAt; start event; runtime create then start', async () => {
    const id = await create('c1');
    const before = Date.now();
    await e.containers.start(id);
    const s = e.inspect(id).State;
    assert.equal(s.Status, 'running');
    assert.equal(s.Running, true);
    assert.equal(s.Pid, e.runtime.procs.get(id)!.pid);
    assert.ok(Date.parse(s.StartedAt) >= before - 1);
    assert.equal(s.FinishedAt, ZERO);
    assert.deepEqual(e.actions(id), ['create', 'start']);
    assert.deepEqual(e.runtime.calls, [`create ${id}`, `start ${id}`]);
    assert.equal((await e.runtime.state(id)).status, 'running');
    // The runtime mounted the root from the snapshot's Mount[] (the hand-off), not the snapshot driver.
    assert.deepEqual(e.runtime.rootfs.get(id), e.snapshots.mounts(id));
  });

  test('start of a running container is 304 and changes nothing', async () => {
    const id = await run('c1');
    const pid = e.inspect(id).State.Pid;
    await rejectsWith(e.containers.start(id), 304, 'container already started');
    assert.equal(e.inspect(id).State.Pid, pid);
    assert.deepEqual(e.actions(id), ['create', 'start']);
  });

  test('a command that is not found: 400, state stays created with 127 and the error', async () => {
    const id = await create('c1', { Cmd: ['nosuch'] });
    await rejectsWith(e.containers.start(id), 400, /exec: "nosuch": executable file not found in \$PATH/);
    const s = e.inspect(id).State;
    assert.equal(s.Status, 'created');
    assert.equal(s.Running, false);
    assert.equal(s.ExitCode, 127);
    assert.match(s.Error, /executable file not found/);
    assert.equal(s.StartedAt, ZERO);
    assert.equal(s.FinishedAt, ZERO);
    assert.equal(e.snapshots.snapshots.get(id)!.mounted, false, 'rootfs unmounted again');
    assert.equal(e.runtime.rootfs.has(id), false, 'rootfs unmounted again (runtime)');
  });

  test('a failed start publishes no die event (docker 20.10: only create)', async () => {
    const id = await create('c1', { Cmd: ['nosuch'] });
    await e.containers.start(id).catch(() => undefined);
    assert.deepEqual(e.actions(id), ['create']);
  });

  test('runtime start fails: the runtime container is deleted, the rootfs unmounted, state created', async () => {
    const id = await create('c1');
    e.runtime.behave(id, { failStart: new Error('runc start: boom') });
    await rejectsWith(e.containers.start(id), 400, 'runc start: boom');
    assert.equal(status(id), 'created');
    assert.equal(e.inspect(id).State.ExitCode, 128);
    assert.ok(e.runtime.calls.includes(`delete ${id} force`));
    assert.equal(e.runtime.procs.has(id), false);
    // It starts once the cause is gone.
    e.runtime.behave(id, { failStart: undefined });
    await e.containers.start(id);
    assert.equal(status(id), 'running');
    assert.equal(e.inspect(id).State.ExitCode, 0);
    assert.equal(e.inspect(id).State.Error, '');
  });

  test('a slow start: concurrent starts are serialised, the second is 304', async () => {
    const id = await create('c1');
    e.runtime.behave(id, { startDelayMs: 30 });
    const first = e.containers.start(id);
    const second = e.containers.start(id);
    await first;
    await rejectsWith(second, 304, 'container already started');
    assert.deepEqual(e.runtime.calls.filter((c) => c.startsWith('start')), [`start ${id}`]);
    assert.deepEqual(e.actions(id), ['create', 'start']);
  });

  test('a process that exits right after start: exited with its code, die after start', async () => {
    const id = await run('c1', { Cmd: ['sh', '-c', 'echo hi; exit 3'] });
    await e.until(() => status(id) === 'exited');
    const s = e.inspect(id).State;
    assert.equal(s.ExitCode, 3);
    assert.equal(s.Running, false);
    assert.equal(s.Pid, 0);
    assert.notEqual(s.FinishedAt, ZERO);
    assert.ok(Date.parse(s.FinishedAt) >= Date.parse(s.StartedAt));
    assert.deepEqual(e.actions(id), ['create', 'start', 'die']);
    assert.equal(e.log.at(-1)!.Actor.Attributes.exitCode, '3');
    // docker's json-file at LogPath (the daemon's default log driver).
    assert.match(fs.readFileSync(e.inspect(id).LogPath as string, 'utf8'), /^\{"log":"hi\\n","stream":"stdout","time":"[^"]+"\}\n$/);
  });
});

describe('pause and unpause', () => {
  test('pause: Paused, Status paused, still Running; unpause back; events', async () => {
    const id = await run('c1');
    await e.containers.pause(id);
    let s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.Running, s.Paused], ['paused', true, true]);
    assert.equal((await e.runtime.state(id)).status, 'paused');
    await e.containers.unpause(id);
    s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.Running, s.Paused], ['running', true, false]);
    assert.deepEqual(e.actions(id), ['create', 'start', 'pause', 'unpause']);
  });

  test('pause of a paused container: 409 already paused; unpause of a running one: 409 not paused', async () => {
    const id = await run('c1');
    await rejectsWith(e.containers.unpause(id), 409, `Container ${id} is not paused`);
    await e.containers.pause(id);
    await rejectsWith(e.containers.pause(id), 409, `Container ${id} is already paused`);
  });

  test('pause or unpause of a created or exited container: 409 not running / not paused', async () => {
    const id = await create('c1');
    await rejectsWith(e.containers.pause(id), 409, `Container ${id} is not running`);
    await rejectsWith(e.containers.unpause(id), 409, `Container ${id} is not paused`);
    await e.containers.start(id);
    await e.containers.kill(id, null);
    await rejectsWith(e.containers.pause(id), 409, `Container ${id} is not running`);
  });

  test('start of a paused container: 409, try unpause (docker 20.10)', async () => {
    const id = await run('c1');
    await e.containers.pause(id);
    await rejectsWith(e.containers.start(id), 409, 'cannot start a paused container, try unpause instead');
    assert.equal(status(id), 'paused');
  });

  test('restart of a paused container: thawed, stopped, started again', async () => {
    const id = await run('c1');
    await e.containers.pause(id);
    await e.containers.restart(id, 10);
    const s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.Paused, s.Running], ['running', false, true]);
  });

  test('a paused container that is stopped is thawed and exits; Paused is cleared', async () => {
    const id = await run('c1');
    await e.containers.pause(id);
    await e.containers.stop(id, 1);
    const s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.Running, s.Paused, s.ExitCode], ['exited', false, false, 143]);
    assert.ok(e.runtime.calls.indexOf(`resume ${id}`) > e.runtime.calls.indexOf(`pause ${id}`));
  });

  test('a paused container that is killed exits with 137, Paused cleared', async () => {
    const id = await run('c1');
    await e.containers.pause(id);
    await e.containers.kill(id, null);
    const s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.Paused, s.ExitCode], ['exited', false, 137]);
    assert.deepEqual(e.actions(id), ['create', 'start', 'pause', 'kill', 'die']);
  });
});

describe('stop and kill', () => {
  test('stop: SIGTERM ends it (143); kill(15), die, stop in that order; FinishedAt, Pid 0', async () => {
    const id = await run('c1');
    await e.containers.stop(id, 10);
    const s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.Running, s.Pid, s.ExitCode], ['exited', false, 0, 143]);
    assert.notEqual(s.FinishedAt, ZERO);
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die', 'stop']);
    assert.equal(e.log.find((x) => x.Action === 'kill')!.Actor.Attributes.signal, '15');
    assert.equal(e.runtime.procs.has(id), false, 'runtime state deleted after the exit');
    assert.equal(e.snapshots.snapshots.get(id)!.mounted, false, 'rootfs unmounted after the exit');
    assert.equal(e.runtime.rootfs.has(id), false, 'rootfs unmounted after the exit (runtime)');
  });

  test('stop of a process that ignores SIGTERM: SIGKILL after the timeout; kill 15, kill 9, die 137, stop', async () => {
    const id = await create('c1');
    e.runtime.behave(id, { ignore: [15] });
    await e.containers.start(id);
    const t0 = Date.now();
    await e.containers.stop(id, 0.05);
    assert.ok(Date.now() - t0 >= 45, 'waited for the timeout');
    assert.equal(e.inspect(id).State.ExitCode, 137);
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'kill', 'die', 'stop']);
    assert.deepEqual(e.log.filter((x) => x.Action === 'kill').map((x) => x.Actor.Attributes.signal), ['15', '9']);
  });

  test('stop with the container\'s StopSignal', async () => {
    const id = await run('c1', { StopSignal: 'SIGUSR1' });
    await e.containers.stop(id, 10);
    assert.equal(e.inspect(id).State.ExitCode, 138);
    assert.ok(e.runtime.calls.includes(`kill ${id} 10`));
  });

  test('stop of a stopped or created container is 304', async () => {
    const id = await create('c1');
    await rejectsWith(e.containers.stop(id, 1), 304, 'container already stopped');
    await e.containers.start(id);
    await e.containers.stop(id, 1);
    await rejectsWith(e.containers.stop(id, 1), 304, 'container already stopped');
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die', 'stop']);
  });

  test('kill: SIGKILL by default, answered once the exit is recorded', async () => {
    const id = await run('c1');
    await e.containers.kill(id, null);
    const s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.ExitCode, s.OOMKilled], ['exited', 137, false]);
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die']);
    assert.equal(e.log.find((x) => x.Action === 'kill')!.Actor.Attributes.signal, '9');
  });

  test('kill with a signal the process ignores: still running, a kill event with the signal', async () => {
    const id = await create('c1');
    e.runtime.behave(id, { ignore: [10] });
    await e.containers.start(id);
    await e.containers.kill(id, 'SIGUSR1');
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(status(id), 'running');
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill']);
    assert.equal(e.log.at(-1)!.Actor.Attributes.signal, '10');
  });

  test('kill of a container that is not running: 409', async () => {
    const id = await create('c1');
    await rejectsWith(e.containers.kill(id.slice(0, 12), null), 409, `Cannot kill container: ${id.slice(0, 12)}: Container ${id} is not running`);
  });

  test('kill of a stopped container: docker\'s message names the container', async () => {
    const id = await run('c1');
    await e.containers.kill('c1', null);
    await rejectsWith(e.containers.kill('c1', null), 409, `Cannot kill container: c1: Container ${id} is not running`);
  });

  test('an invalid signal is 400 and sends nothing', async () => {
    const id = await run('c1');
    await rejectsWith(e.containers.kill(id, 'SIGNOPE'), 400, /SIGNOPE/);
    assert.equal(status(id), 'running');
    assert.ok(!e.runtime.calls.some((c) => c.startsWith('kill')));
  });

  test('the process exits on its own: die with the code, wait answers it', async () => {
    const id = await run('c1');
    const waited = e.containers.wait(id, 'not-running');
    e.runtime.exit(id, 42);
    assert.deepEqual(await waited, { StatusCode: 42, Error: null });
    const s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.ExitCode, s.OOMKilled, s.Pid], ['exited', 42, false, 0]);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die']);
  });

  test('OOM: OOMKilled, 137, an oom event before die', async () => {
    const id = await run('c1');
    e.runtime.oom(id);
    await e.until(() => status(id) === 'exited');
    const s = e.inspect(id).State;
    assert.deepEqual([s.OOMKilled, s.ExitCode], [true, 137]);
    assert.deepEqual(e.actions(id), ['create', 'start', 'oom', 'die']);
    // The next start clears it.
    await e.containers.start(id);
    assert.equal(e.inspect(id).State.OOMKilled, false);
  });

  test('the exit time is the runtime\'s', async () => {
    const id = await run('c1');
    const at = new Date(Date.now() + 1234);
    e.runtime.exit(id, 0, { at });
    await e.until(() => status(id) === 'exited');
    assert.equal(e.inspect(id).State.FinishedAt, at.toISOString());
  });
});

describe('restart, start again, wait', () => {
  test('restart of a running container: kill, die, stop, start, restart; a new pid', async () => {
    const id = await run('c1');
    const pid = e.inspect(id).State.Pid;
    await e.containers.restart(id, 10);
    const s = e.inspect(id).State;
    assert.equal(s.Status, 'running');
    assert.notEqual(s.Pid, pid);
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die', 'stop', 'start', 'restart']);
  });

  test('restart of a stopped container: start, restart', async () => {
    const id = await create('c1');
    await e.containers.restart(id, 10);
    assert.equal(status(id), 'running');
    assert.deepEqual(e.actions(id), ['create', 'start', 'restart']);
  });

  test('start after an exit: a fresh run; ExitCode and Error cleared, FinishedAt kept', async () => {
    const id = await run('c1');
    e.runtime.exit(id, 5);
    await e.until(() => status(id) === 'exited');
    const finished = e.inspect(id).State.FinishedAt;
    await e.containers.start(id);
    const s = e.inspect(id).State;
    assert.deepEqual([s.Status, s.ExitCode, s.Error], ['running', 0, '']);
    assert.equal(s.FinishedAt, finished);
  });

  test('wait: not-running on a stopped container answers at once; next-exit waits for the next exit', async () => {
    const id = await create('c1');
    assert.deepEqual(await e.containers.wait(id, null), { StatusCode: 0, Error: null });
    const next = e.containers.wait(id, 'next-exit');
    await e.containers.start(id);
    e.runtime.exit(id, 7);
    assert.equal((await next).StatusCode, 7);
    await rejectsWith(async () => e.containers.wait(id, 'bogus'), 400, 'invalid condition: "bogus"');
  });

  test('wait next-exit or not-running on a container removed without running: answered at the removal (docker\'s waitRemove)', async () => {
    const id = await create('c1');
    const next = e.containers.wait(id, 'next-exit');
    await e.containers.remove(id, {});
    assert.deepEqual(await next, { StatusCode: 0, Error: null });
  });

  test('wait removed: answers once the container is gone', async () => {
    const id = await run('c1');
    const removed = e.containers.wait(id, 'removed');
    e.runtime.exit(id, 9);
    await e.until(() => status(id) === 'exited');
    await e.containers.remove(id, {});
    assert.equal((await removed).StatusCode, 9);
  });
});

describe('remove', () => {
  test('rm of an exited container: destroy event; record, snapshot and directory gone; 404 after', async () => {
    const id = await run('c1');
    await e.containers.kill(id, null);
    const dir = e.containers.registry.containerDir(id);
    assert.ok(fs.existsSync(dir));
    await e.containers.remove(id, {});
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die', 'destroy']);
    assert.equal(e.snapshots.snapshots.has(id), false);
    assert.equal(fs.existsSync(dir), false);
    assert.equal(e.containers.has(id), false);
    await rejectsWith(async () => e.inspect('c1'), 404, 'No such container: c1');
    // The name is free again.
    await create('c1');
  });

  test('rm of a running container without force: 409 in the wording of the API version', async () => {
    const id = await run('c1');
    await rejectsWith(e.containers.remove(id, { legacyMessage: true }), 409,
      `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    await rejectsWith(e.containers.remove(id, {}), 409,
      'cannot remove container "/c1": container is running: stop the container before removing or force remove');
    assert.equal(status(id), 'running');
  });

  test('rm of a paused container without force: 409 paused', async () => {
    const id = await run('c1');
    await e.containers.pause(id);
    await rejectsWith(e.containers.remove(id, { legacyMessage: true }), 409,
      `You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove`);
  });

  test('rm -f of a running container: killed, then destroyed', async () => {
    const id = await run('c1');
    await e.containers.remove(id, { force: true });
    assert.equal(e.containers.has(id), false);
    assert.equal(e.runtime.procs.has(id), false);
    const acts = e.actions(id);
    assert.deepEqual(acts.slice(0, 4), ['create', 'start', 'kill', 'die']);
    assert.equal(acts.at(-1), 'destroy');
    assert.equal(e.log.find((x) => x.Action === 'kill')!.Actor.Attributes.signal, '9');
  });

  test('rm -f publishes no stop event (docker 20.10: kill, die, destroy)', async () => {
    const id = await run('c1');
    await e.containers.remove(id, { force: true });
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die', 'destroy']);
  });

  test('rm -v removes the anonymous volumes, keeps named ones', async () => {
    const id = await run('c1', { HostConfig: { Binds: ['named:/data'] }, Volumes: { '/anon': {} } });
    const anon = e.inspect(id).Mounts as { Name: string; Destination: string }[];
    const anonName = anon.find((m) => m.Destination === '/anon')!.Name;
    assert.equal(e.volumes.users.get('named')!.has(id), true);
    await e.containers.remove(id, { force: true, volumes: true });
    assert.deepEqual(e.volumes.removed, [anonName]);
    assert.ok(e.volumes.created.has('named'));
  });

  test('--rm: removed after its exit', async () => {
    const id = await run('c1', { HostConfig: { AutoRemove: true } });
    const removed = e.containers.wait(id, 'removed');
    e.runtime.exit(id, 0);
    await removed;
    assert.equal(e.containers.has(id), false);
    assert.deepEqual(e.actions(id), ['create', 'start', 'die', 'destroy']);
  });
});

describe('names', () => {
  test('a taken name is 409 with docker\'s text; rename frees the old one', async () => {
    const id = await create('c1');
    await rejectsWith(create('c1'), 409,
      `Conflict. The container name "/c1" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
    await e.containers.rename(id, 'c2');
    assert.equal(e.inspect('c2').Id, id);
    await create('c1');
    assert.deepEqual(e.actions(id), ['create', 'rename']);
    assert.equal(e.log.find((x) => x.Action === 'rename')!.Actor.Attributes.oldName, '/c1');
  });

  test('rename refusals as docker 20.10: same name 400, empty 400, invalid name with its slash 400, taken 409', async () => {
    const id = await create('c1');
    await create('c2');
    await rejectsWith(e.containers.rename(id, 'c1'), 400, 'Renaming a container with the same name as its current name');
    await rejectsWith(e.containers.rename(id, ''), 400, 'Neither old nor new names may be empty');
    await rejectsWith(e.containers.rename(id, 'bad name'), 400, 'Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
    await rejectsWith(e.containers.rename(id, 'c2'), 409, /^Error when allocating new name: Conflict\. The container name "\/c2" is already in use/);
    assert.deepEqual(e.actions(id), ['create']);
  });

  test('lookup by unique id prefix; an ambiguous one is 400', async () => {
    const a = await create('first'); // no name that is a hex prefix: names win over id prefixes
    assert.equal(e.inspect(a.slice(0, 12)).Id, a);
    for (let i = 0; i < 40; i++) await create(`n${i}`);
    const ids = [...e.containers.registry.live.keys()];
    const shared = ids.map((x) => x[0]).find((c, i, all) => all.indexOf(c) !== i)!;
    await rejectsWith(async () => e.inspect(shared), 400, `multiple IDs found with provided prefix: ${shared}`);
  });
});

describe('races', () => {
  test('the process exits on its own while stop waits for it: no error, its own code, kill/die/stop', async () => {
    const id = await create('c1');
    e.runtime.behave(id, { ignore: [15] });
    await e.containers.start(id);
    const stopping = e.containers.stop(id, 10);
    e.runtime.exit(id, 0);
    await stopping;
    assert.equal(e.inspect(id).State.ExitCode, 0);
    assert.deepEqual(e.actions(id), ['create', 'start', 'kill', 'die', 'stop']);
  });

  test('kill just after the process exited (exit not yet handled): no error, the real exit code', async () => {
    const id = await run('c1');
    e.runtime.exit(id, 5);
    await e.containers.kill(id, null);
    await e.until(() => status(id) === 'exited');
    assert.equal(e.inspect(id).State.ExitCode, 5);
  });

  test('stop just after the process exited: 304 or done, never an error; state exited with its code', async () => {
    const id = await run('c1');
    e.runtime.exit(id, 6);
    await e.containers.stop(id, 10).catch((err: { status?: number }) => assert.equal(err.status, 304));
    await e.until(() => status(id) === 'exited');
    assert.equal(e.inspect(id).State.ExitCode, 6);
  });

  test('rm -f during a slow start: the start finishes, then everything goes', async () => {
    const id = await create('c1');
    e.runtime.behave(id, { startDelayMs: 20 });
    const starting = e.containers.start(id);
    const removing = e.containers.remove(id, { force: true });
    await starting;
    await removing;
    assert.equal(e.containers.has(id), false);
    assert.equal(e.runtime.procs.has(id), false);
    assert.equal(e.snapshots.snapshots.has(id), false);
    assert.equal(e.actions(id).at(-1), 'destroy');
  });

  test('two stops at once: both answer, one exit', async () => {
    const id = await run('c1');
    await Promise.all([e.containers.stop(id, 10), e.containers.stop(id, 10)]);
    assert.equal(status(id), 'exited');
    assert.equal(e.actions(id).filter((a) => a === 'die').length, 1);
  });

  test('an exit during pause handling: a paused container the OOM killer ends is exited, not paused', async () => {
    const id = await run('c1');
    await e.containers.pause(id);
    e.runtime.oom(id);
    await e.until(() => status(id) === 'exited');
    const s = e.inspect(id).State;
    assert.deepEqual([s.Paused, s.Running, s.OOMKilled], [false, false, true]);
  });
});
