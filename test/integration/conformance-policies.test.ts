/**
 * Restart policies against `docker kill` and `docker start` through runc, as the reference
 * docker 20.10 answers them: a kill with any signal is the user's stop (unless-stopped stays
 * down); one with SIGKILL, the stop signal, or any signal when no stop signal is set keeps
 * every policy from restarting it; a start during the back-off is 304. The unit tests of the
 * same rules over fake drivers are in test/unit/containers-policies.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

/** A shell that exits 5 on SIGUSR1 (PID 1 ignores signals it has no handler for). */
const TRAP = ['sh', '-c', 'trap "exit 5" USR1; while true; do sleep 0.1; done'];

async function run(name: string, policy: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await d.api('POST', `/containers/create?name=${name}`, { Image: 'bb', Cmd: TRAP, ...extra, HostConfig: { RestartPolicy: { Name: policy } } });
  assert.equal(r.status, 201, r.body);
  const id = r.json.Id as string;
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  return id;
}

const inspect = async (id: string) => (await d.api('GET', `/containers/${id}/json`)).json as { RestartCount: number; State: { Status: string; ExitCode: number } };

async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    assert.ok(Date.now() - t0 < ms, `not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kill -s USR1 with no stop signal set: always is not restarted', async () => {
  const id = await run('pol-always', 'always');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await d.api('POST', `/containers/${id}/kill?signal=USR1`)).status, 204);
  await until('exited', async () => (await inspect(id)).State.Status === 'exited');
  await new Promise((r) => setTimeout(r, 500));
  const c = await inspect(id);
  assert.deepEqual([c.State.Status, c.State.ExitCode, c.RestartCount], ['exited', 5, 0]);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('kill -s USR1 with --stop-signal USR2: always restarts, unless-stopped does not', async () => {
  const a = await run('pol-a2', 'always', { StopSignal: 'SIGUSR2' });
  const u = await run('pol-u2', 'unless-stopped', { StopSignal: 'SIGUSR2' });
  await new Promise((r) => setTimeout(r, 300));
  for (const id of [a, u]) assert.equal((await d.api('POST', `/containers/${id}/kill?signal=USR1`)).status, 204);
  await until('always restarted', async () => { const c = await inspect(a); return c.RestartCount === 1 && c.State.Status === 'running'; });
  await until('unless-stopped exited', async () => (await inspect(u)).State.Status === 'exited');
  await new Promise((r) => setTimeout(r, 500));
  const c = await inspect(u);
  assert.deepEqual([c.State.Status, c.State.ExitCode, c.RestartCount], ['exited', 5, 0]);
  for (const id of [a, u]) await d.api('DELETE', `/containers/${id}?force=1`);
});

test('start during the back-off: 304, still restarting with its RestartCount', async () => {
  const r = await d.api('POST', '/containers/create?name=pol-b', { Image: 'bb', Cmd: ['sh', '-c', 'sleep 0.05; exit 1'], HostConfig: { RestartPolicy: { Name: 'always' } } });
  const id = r.json.Id as string;
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  // From the 4th restart on the back-off is 800 ms or more: long enough to catch.
  await until('in a long back-off', async () => { const c = await inspect(id); return c.State.Status === 'restarting' && c.RestartCount >= 4; }, 20_000);
  const before = (await inspect(id)).RestartCount;
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 304);
  const c = await inspect(id);
  assert.ok(c.RestartCount >= before, `RestartCount kept: ${before} → ${c.RestartCount}`);
  assert.notEqual(c.RestartCount, 0);
  assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
});
