/**
 * Exec, attach and healthchecks of the real ContainersService over fake drivers: exec's
 * refusals and its lifecycle (events, exit code, inspect), attach streams framed as docker's
 * stdcopy, attach `logs` replay, and a CMD healthcheck turning the container healthy.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeEngine, type FakeEngine } from '../fakes/engine.ts';
import { FakeClient } from '../fakes/client.ts';

let e: FakeEngine;
beforeEach(async () => { e = await fakeEngine(); });
afterEach(async () => { await e.close(); });

async function run(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const { Id } = await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ...body }, name);
  await e.containers.start(Id);
  return Id;
}

test('exec refusals: not running, paused, no command', async () => {
  const { Id: created } = await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'] }, 'c0');
  assert.throws(() => e.containers.execs.create(created, { Cmd: ['true'] }), { status: 409, message: `Container ${created} is not running` });
  const id = await run('c1');
  assert.throws(() => e.containers.execs.create(id, { Cmd: [] }), { status: 400, message: 'No exec command specified' });
  await e.containers.pause(id);
  assert.throws(() => e.containers.execs.create(id, { Cmd: ['true'] }), { status: 409, message: `Container ${id} is paused, unpause the container before exec` });
});

test('exec attached: framed output, the exit code in inspect, exec_create/exec_start/exec_die', async () => {
  const id = await run('c1');
  const { Id: ex } = e.containers.execs.create(id, { Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 4'], AttachStdout: true, AttachStderr: true });
  assert.deepEqual([e.containers.execs.inspect(ex).Running, e.containers.execs.inspect(ex).ExitCode], [false, null]);
  const client = new FakeClient();
  await e.containers.execs.start(ex, { detach: false }, client);
  assert.deepEqual(client.demux(), { stdout: 'out\n', stderr: 'err\n' });
  const info = e.containers.execs.inspect(ex);
  assert.deepEqual([info.Running, info.ExitCode], [false, 4]);
  assert.deepEqual(e.actions(id).slice(2), ['exec_create: sh -c echo out; echo err >&2; exit 4', 'exec_start: sh -c echo out; echo err >&2; exit 4', 'exec_die']);
  assert.equal(e.log.at(-1)!.Actor.Attributes.exitCode, '4');
  await assert.rejects(e.containers.execs.start(ex, { detach: false }, new FakeClient()), { status: 409, message: `Error: Exec command ${ex} has already run` });
});

test('exec detached: Running until the process ends', async () => {
  const id = await run('c1');
  const { Id: ex } = e.containers.execs.create(id, { Cmd: ['sleep', '100'] });
  await e.containers.execs.start(ex, { detach: true });
  await e.until(() => e.containers.execs.inspect(ex).Running === true);
  assert.ok((e.containers.execs.inspect(ex).Pid as number) > 0);
  e.runtime.finishExec(ex, 0);
  await e.until(() => e.containers.execs.inspect(ex).Running === false);
  assert.equal(e.containers.execs.inspect(ex).ExitCode, 0);
});

test('an exec whose command is not found ends with 126 or 127, never hangs', async () => {
  const id = await run('c1');
  const { Id: ex } = e.containers.execs.create(id, { Cmd: ['nosuch'], AttachStdout: true });
  await e.containers.execs.start(ex, { detach: false }, new FakeClient()).catch(() => undefined);
  await e.until(() => e.containers.execs.inspect(ex).ExitCode !== null);
  assert.ok([126, 127].includes(e.containers.execs.inspect(ex).ExitCode as number));
});

test('attach to a running container: output framed per stream; the stream ends at the exit', async () => {
  const id = await run('c1');
  const client = new FakeClient();
  const attached = e.containers.attach(id, client, { stdin: false, stdout: true, stderr: true, stream: true, logs: false });
  await e.until(() => e.runtime.procs.get(id)!.attaches.length === 1);
  e.runtime.write(id, 'stdout', 'hello\n');
  e.runtime.write(id, 'stderr', 'oops\n');
  e.runtime.exit(id, 0);
  await attached;
  await client.ended;
  assert.deepEqual(client.demux(), { stdout: 'hello\n', stderr: 'oops\n' });
});

test('attach stdin reaches the container', async () => {
  const id = await run('c1', { OpenStdin: true });
  const client = new FakeClient();
  const attached = e.containers.attach(id, client, { stdin: true, stdout: true, stderr: true, stream: true, logs: false });
  await e.until(() => e.runtime.procs.get(id)!.attaches.length === 1);
  client.input.write('typed\n');
  await e.until(() => e.runtime.procs.get(id)!.stdin === 'typed\n');
  e.runtime.exit(id, 0);
  await attached;
});

test('attach with logs and no stream replays the log and ends', async () => {
  const id = await run('c1', { Cmd: ['sh', '-c', 'echo one; echo two >&2; exit 0'] });
  await e.until(() => e.inspect(id).State.Status === 'exited');
  const client = new FakeClient();
  await e.containers.attach(id, client, { stdin: false, stdout: true, stderr: true, stream: false, logs: true });
  assert.deepEqual(client.demux(), { stdout: 'one\n', stderr: 'two\n' });
});

test('a CMD healthcheck: starting, then healthy after a passing probe; unhealthy after the retries fail', async () => {
  const ms = 1_000_000;
  const ok = await run('ok', { Healthcheck: { Test: ['CMD', 'true'], Interval: 5 * ms, Retries: 1 } });
  assert.equal((e.inspect(ok).State.Health as { Status: string }).Status, 'starting');
  await e.until(() => (e.inspect(ok).State.Health as { Status: string }).Status === 'healthy');
  const bad = await run('bad', { Healthcheck: { Test: ['CMD', 'false'], Interval: 5 * ms, Retries: 2 } });
  await e.until(() => (e.inspect(bad).State.Health as { Status: string }).Status === 'unhealthy');
  const h = e.inspect(bad).State.Health as { FailingStreak: number; Log: { ExitCode: number }[] };
  assert.ok(h.FailingStreak >= 2);
  assert.equal(h.Log.at(-1)!.ExitCode, 1);
  assert.ok(e.actions(ok).includes('health_status: healthy'));
  assert.ok(e.actions(bad).includes('health_status: unhealthy'));
});

test('attach before start (docker run -a): connected at start, nothing of the output lost', async () => {
  const { Id: id } = await e.containers.create({ Image: 'busybox', Cmd: ['sh', '-c', 'echo first; exit 0'] }, 'c1');
  const client = new FakeClient();
  const attached = e.containers.attach(id, client, { stdin: false, stdout: true, stderr: true, stream: true, logs: false });
  await new Promise((r) => setImmediate(r));
  await e.containers.start(id);
  await attached;
  assert.deepEqual(client.demux(), { stdout: 'first\n', stderr: '' });
});

test('attach before start, the client gone before the start: no connection is left', async () => {
  const { Id: id } = await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'] }, 'c1');
  const client = new FakeClient();
  const attached = e.containers.attach(id, client, { stdin: false, stdout: true, stderr: true, stream: true, logs: false });
  await new Promise((r) => setImmediate(r));
  client.hangUp();
  await attached;
  await e.containers.start(id);
  await new Promise((r) => setImmediate(r));
  assert.equal(e.runtime.procs.get(id)!.attaches.length, 0);
});

test('a tty container: raw output, no frames', async () => {
  const id = await run('c1', { Tty: true, OpenStdin: true });
  const client = new FakeClient();
  const attached = e.containers.attach(id, client, { stdin: false, stdout: true, stderr: true, stream: true, logs: false });
  await e.until(() => e.runtime.procs.get(id)!.attaches.length === 1);
  e.runtime.write(id, 'stderr', 'to the tty\r\n');
  e.runtime.exit(id, 0);
  await attached;
  assert.equal(client.raw(), 'to the tty\r\n');
});
