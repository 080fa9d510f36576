/**
 * Healthchecks as docker 20.10 runs them: probes as execs on an interval, State.Health
 * (Status, FailingStreak, last 5 results), timeouts, start period, NONE, the image's
 * HEALTHCHECK, the CLI flags, ps status and filter, events, stop/start and live-restore.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

const MS = 1_000_000;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function health(name: string): Promise<any> {
  return (await d.api('GET', `/containers/${name}/json`)).json.State.Health;
}

async function waitStatus(name: string, status: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(`${name} ${status}`, async () => { const h = await health(name); return h?.Status === status ? h : undefined; }, timeoutMs);
}

async function run(name: string, healthcheck: unknown, cmd: string[] = ['top'], image = 'bb'): Promise<void> {
  const r = await d.api('POST', `/containers/create?name=${name}`, { Image: image, Cmd: cmd, Healthcheck: healthcheck });
  assert.equal(r.status, 201, r.body);
  const s = await d.api('POST', `/containers/${name}/start`);
  assert.equal(s.status, 204, s.body);
}

async function psStatus(name: string, query = ''): Promise<string | undefined> {
  const list = (await d.api('GET', `/containers/json?all=1${query}`)).json as any[];
  return list.find((c) => c.Names[0] === `/${name}`)?.Status;
}

async function events(since: number, container: string): Promise<any[]> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const r = await d.api('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: [container] }))}`);
  return r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('starting → healthy: the first probe after the interval, Log entries, ps status and health filter', async () => {
  const since = Math.floor(Date.now() / 1000);
  await run('h-ok', { Test: ['CMD-SHELL', 'echo alive; echo oops >&2'], Interval: 300 * MS, Retries: 2 });
  const first = await health('h-ok');
  assert.equal(first.Status, 'starting');
  assert.equal(first.FailingStreak, 0);
  assert.deepEqual(first.Log, []);
  assert.match((await psStatus('h-ok'))!, /^Up .* \(health: starting\)$/);
  const h = await waitStatus('h-ok', 'healthy');
  const entry = h.Log[0];
  assert.equal(entry.ExitCode, 0);
  assert.equal(entry.Output, 'alive\noops\n');
  const inspect = (await d.api('GET', '/containers/h-ok/json')).json;
  assert.ok(Date.parse(entry.Start) - Date.parse(inspect.State.StartedAt) >= 250, 'first probe one interval after start');
  assert.ok(Date.parse(entry.End) >= Date.parse(entry.Start));
  assert.match((await psStatus('h-ok'))!, /^Up .* \(healthy\)$/);
  assert.ok(await psStatus('h-ok', `&filters=${encodeURIComponent('{"health":["healthy"]}')}`));
  assert.equal(await psStatus('h-ok', `&filters=${encodeURIComponent('{"health":["none"]}')}`), undefined);
  const bad = await d.api('GET', `/containers/json?filters=${encodeURIComponent('{"health":["fine"]}')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'Unrecognised filter value for health: fine');
  // The Log keeps the last 5 results.
  await waitFor('5 log entries', async () => (await health('h-ok')).Log.length === 5, 20_000);
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((await health('h-ok')).Log.length, 5);
  const ev = await events(since, 'h-ok');
  const actions = ev.map((e) => e.Action);
  assert.ok(actions.includes('health_status: healthy'), actions.join(','));
  assert.ok(actions.includes('exec_create: /bin/sh -c echo alive; echo oops >&2'), actions.join(','));
  assert.ok(actions.includes('exec_start: /bin/sh -c echo alive; echo oops >&2'), actions.join(','));
  const die = ev.find((e) => e.Action === 'exec_die');
  assert.equal(die.Actor.Attributes.exitCode, '0');
  assert.ok(die.Actor.Attributes.execID);
  await d.api('DELETE', '/containers/h-ok?force=1');
});

test('healthy → unhealthy after `retries` consecutive failures; a success resets the streak', async () => {
  const since = Math.floor(Date.now() / 1000);
  await run('h-flip', { Test: ['CMD', 'test', '-e', '/tmp/ok'], Interval: 200 * MS, Retries: 3 }, ['sh', '-c', 'touch /tmp/ok; exec top']);
  await waitStatus('h-flip', 'healthy');
  const ex = await d.cli(['exec', 'h-flip', 'rm', '/tmp/ok']);
  assert.equal(ex.code, 0, ex.stderr);
  // Still healthy while the streak is below retries.
  const mid = await waitFor('a failure', async () => { const h = await health('h-flip'); return h.FailingStreak >= 1 ? h : undefined; });
  if (mid.FailingStreak < 3) assert.equal(mid.Status, 'healthy');
  const h = await waitStatus('h-flip', 'unhealthy');
  assert.ok(h.FailingStreak >= 3);
  assert.equal(h.Log.at(-1).ExitCode, 1);
  assert.match((await psStatus('h-flip'))!, /^Up .* \(unhealthy\)$/);
  assert.ok(await psStatus('h-flip', `&filters=${encodeURIComponent('{"health":["unhealthy"]}')}`));
  await d.cli(['exec', 'h-flip', 'touch', '/tmp/ok']);
  const back = await waitStatus('h-flip', 'healthy');
  assert.equal(back.FailingStreak, 0);
  const actions = (await events(since, 'h-flip')).map((e) => e.Action).filter((a) => a.startsWith('health_status'));
  assert.deepEqual(actions, ['health_status: healthy', 'health_status: unhealthy', 'health_status: healthy']);
  await d.api('DELETE', '/containers/h-flip?force=1');
});

test('a probe past its timeout is killed and recorded as -1 "Health check exceeded timeout"', async () => {
  const since = Math.floor(Date.now() / 1000);
  await run('h-slow', { Test: ['CMD', 'sleep', '30'], Interval: 200 * MS, Timeout: 400 * MS, Retries: 1 });
  const h = await waitStatus('h-slow', 'unhealthy');
  const e = h.Log[0];
  assert.equal(e.ExitCode, -1);
  assert.equal(e.Output, 'Health check exceeded timeout (400ms)');
  const took = Date.parse(e.End) - Date.parse(e.Start);
  assert.ok(took >= 350 && took < 3000, `took ${took} ms`);
  // The probe process was killed: it ends (exec_die) long before its 30 s, and no `sleep 30` piles up.
  await waitFor('exec_die', async () => (await events(since, 'h-slow')).find((x) => x.Action === 'exec_die'), 5000);
  const top = (await d.api('GET', '/containers/h-slow/top')).json;
  assert.ok(top.Processes.filter((p: string[]) => p.at(-1)!.includes('sleep 30')).length <= 1, JSON.stringify(top.Processes));
  await d.api('DELETE', '/containers/h-slow?force=1');
});

test('output is capped at 4096 bytes with "..."', async () => {
  await run('h-big', { Test: ['CMD-SHELL', 'head -c 5000 /dev/zero | tr "\\0" a'], Interval: 200 * MS });
  const h = await waitStatus('h-big', 'healthy');
  assert.equal(h.Log[0].Output.length, 4099);
  assert.ok(h.Log[0].Output.endsWith('a...'));
  await d.api('DELETE', '/containers/h-big?force=1');
});

test('failures during the start period do not count until a success; after it they do', async () => {
  await run('h-sp', { Test: ['CMD', 'false'], Interval: 200 * MS, Retries: 1, StartPeriod: 2000 * MS });
  const early = await waitFor('failures in the start period', async () => { const h = await health('h-sp'); return h.Log.length >= 2 ? h : undefined; });
  const started = Date.parse((await d.api('GET', '/containers/h-sp/json')).json.State.StartedAt);
  if (early.Log.every((e: any) => Date.parse(e.Start) - started < 2000)) {
    assert.equal(early.Status, 'starting');
    assert.equal(early.FailingStreak, 0);
  }
  const h = await waitStatus('h-sp', 'unhealthy');
  assert.equal(h.FailingStreak, 1);
  await d.api('DELETE', '/containers/h-sp?force=1');
  // A success within the start period ends it: the next failure counts at once.
  await run('h-sp2', { Test: ['CMD-SHELL', 'test ! -e /tmp/seen && touch /tmp/seen'], Interval: 200 * MS, Retries: 1, StartPeriod: 60_000 * MS });
  await waitStatus('h-sp2', 'unhealthy');
  await d.api('DELETE', '/containers/h-sp2?force=1');
});

test('stop keeps State.Health (reported unhealthy); start begins again at "starting"', async () => {
  await run('h-stop', { Test: ['CMD', 'true'], Interval: 200 * MS });
  await waitStatus('h-stop', 'healthy');
  assert.equal((await d.api('POST', '/containers/h-stop/stop?t=1')).status, 204);
  const stopped = await health('h-stop');
  assert.equal(stopped.Status, 'unhealthy');
  assert.ok(stopped.Log.length >= 1);
  assert.match((await psStatus('h-stop'))!, /^Exited \(\d+\)/);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await health('h-stop')).Log.length, stopped.Log.length, 'no probes while stopped');
  assert.equal((await d.api('POST', '/containers/h-stop/start')).status, 204);
  const again = await health('h-stop');
  assert.equal(again.Status, 'starting');
  assert.equal(again.FailingStreak, 0);
  assert.equal(again.Log.length, stopped.Log.length, 'the Log is kept');
  await waitStatus('h-stop', 'healthy');
  await d.api('DELETE', '/containers/h-stop?force=1');
});

test('Test ["NONE"] and --no-healthcheck disable it; no State.Health, health=none filter', async () => {
  await run('h-none', { Test: ['NONE'] });
  const j = (await d.api('GET', '/containers/h-none/json')).json;
  assert.deepEqual(j.Config.Healthcheck, { Test: ['NONE'] });
  assert.equal(j.State.Health, undefined);
  assert.match((await psStatus('h-none'))!, /^Up [^()]+$/);
  assert.ok(await psStatus('h-none', `&filters=${encodeURIComponent('{"health":["none"]}')}`));
  await d.api('DELETE', '/containers/h-none?force=1');
});

test('create validates with docker messages', async () => {
  for (const [hc, msg] of [
    [{ Test: ['CMD', 'true'], Interval: 1 }, 'Interval in Healthcheck cannot be less than 1ms'],
    [{ Test: ['CMD', 'true'], Timeout: 999 }, 'Timeout in Healthcheck cannot be less than 1ms'],
    [{ Test: ['CMD', 'true'], Retries: -1 }, 'Retries in Healthcheck cannot be negative'],
    [{ Test: ['CMD', 'true'], StartPeriod: -5 }, 'StartPeriod in Healthcheck cannot be less than 1ms'],
    [{ Test: 'true' }, 'json: cannot unmarshal string into Go struct field HealthConfig.Healthcheck.Test of type []string'],
  ] as const) {
    const r = await d.api('POST', '/containers/create', { Image: 'bb', Cmd: ['top'], Healthcheck: hc });
    assert.equal(r.status, 400, JSON.stringify(hc));
    assert.equal(r.json.message, msg);
  }
});

test('image HEALTHCHECK is used and merged with the container\'s; HEALTHCHECK NONE; build checks', async () => {
  const ctx = path.join(d.dir, 'hc-ctx');
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM bb\nHEALTHCHECK --interval=250ms --timeout=2s --retries=2 CMD ["test", "-e", "/etc/passwd"]\n');
  const b = await d.cli(['build', '-q', '-t', 'hc-img', ctx], { timeoutMs: 60_000 });
  assert.equal(b.code, 0, b.stderr);
  const img = (await d.api('GET', '/images/hc-img/json')).json;
  assert.deepEqual(img.Config.Healthcheck, { Test: ['CMD', 'test', '-e', '/etc/passwd'], Interval: 250 * MS, Timeout: 2000 * MS, Retries: 2 });
  const history = (await d.api('GET', '/images/hc-img/history')).json;
  assert.equal(history[0].CreatedBy, `/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "test" "-e" "/etc/passwd"] "250ms" "2s" "0s" '\\x02'}`);
  await run('h-img', undefined, ['top'], 'hc-img');
  await waitStatus('h-img', 'healthy');
  // The container's fields win; zero ones come from the image.
  const c = await d.api('POST', '/containers/create?name=h-merge', { Image: 'hc-img', Cmd: ['top'], Healthcheck: { Interval: 300 * MS } });
  assert.equal(c.status, 201, c.body);
  assert.deepEqual((await d.api('GET', '/containers/h-merge/json')).json.Config.Healthcheck, { Test: ['CMD', 'test', '-e', '/etc/passwd'], Interval: 300 * MS, Timeout: 2000 * MS, Retries: 2 });
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM hc-img\nHEALTHCHECK NONE\n');
  assert.equal((await d.cli(['build', '-q', '-t', 'hc-none', ctx], { timeoutMs: 60_000 })).code, 0);
  await run('h-img-none', undefined, ['top'], 'hc-none');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(await health('h-img-none'), undefined);
  for (const [line, msg] of [
    ['HEALTHCHECK --interval=0s CMD true', 'dockerfile parse error line 2: Interval "interval" cannot be less than 1ms'],
    ['HEALTHCHECK --timeout=100us CMD true', 'dockerfile parse error line 2: Interval "timeout" cannot be less than 1ms'],
    ['HEALTHCHECK --retries=0 CMD true', 'dockerfile parse error line 2: --retries must be at least 1 (not 0)'],
    ['HEALTHCHECK CMD', 'dockerfile parse error line 2: Missing command after HEALTHCHECK CMD'],
    ['HEALTHCHECK NONE x', 'dockerfile parse error line 2: HEALTHCHECK NONE takes no arguments'],
    ['HEALTHCHECK --interval=abc CMD true', 'dockerfile parse error line 2: time: invalid duration "abc"'],
  ]) {
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM bb\n${line}\n`);
    const r = await d.cli(['build', '-q', ctx], { timeoutMs: 60_000 });
    assert.notEqual(r.code, 0, line);
    assert.ok(r.stderr.includes(msg), `${line}: ${r.stderr}`);
  }
  await d.api('DELETE', '/containers/h-img?force=1');
  await d.api('DELETE', '/containers/h-merge?force=1');
  await d.api('DELETE', '/containers/h-img-none?force=1');
});

test('wharf run --health-* flags, --no-healthcheck, and ps shows the status', async () => {
  const r = await d.cli(['run', '-d', '--name', 'h-cli', '--health-cmd', 'true', '--health-interval', '300ms', '--health-timeout', '2s', '--health-retries', '4', '--health-start-period', '1s', 'bb', 'top']);
  assert.equal(r.code, 0, r.stderr);
  const hc = (await d.api('GET', '/containers/h-cli/json')).json.Config.Healthcheck;
  assert.deepEqual(hc, { Test: ['CMD-SHELL', 'true'], Interval: 300 * MS, Timeout: 2000 * MS, StartPeriod: 1000 * MS, Retries: 4 });
  await waitStatus('h-cli', 'healthy');
  const ps = await d.cli(['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^h-cli Up .* \(healthy\)$/m);
  const none = await d.cli(['create', '--name', 'h-cli-none', '--no-healthcheck', 'bb', 'top']);
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual((await d.api('GET', '/containers/h-cli-none/json')).json.Config.Healthcheck, { Test: ['NONE'] });
  const conflict = await d.cli(['create', '--no-healthcheck', '--health-cmd', 'true', 'bb', 'top']);
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /--no-healthcheck conflicts with --health-\* options/);
  const neg = await d.cli(['create', '--health-retries', '-1', 'bb', 'top']);
  assert.match(neg.stderr, /--health-retries cannot be negative/);
  const tiny = await d.cli(['create', '--health-interval', '100us', 'bb', 'top']);
  assert.match(tiny.stderr, /Interval in Healthcheck cannot be less than 1ms/);
  await d.api('DELETE', '/containers/h-cli?force=1');
  await d.api('DELETE', '/containers/h-cli-none?force=1');
});

test('pause ends the probes (unhealthy, as docker reports it); unpause resumes them', async () => {
  await run('h-pause', { Test: ['CMD', 'true'], Interval: 200 * MS });
  await waitStatus('h-pause', 'healthy');
  assert.equal((await d.api('POST', '/containers/h-pause/pause')).status, 204);
  assert.equal((await health('h-pause')).Status, 'unhealthy');
  assert.equal((await d.api('POST', '/containers/h-pause/unpause')).status, 204);
  await waitStatus('h-pause', 'healthy');
  await d.api('DELETE', '/containers/h-pause?force=1');
});

test('a daemon restart with live-restore keeps probing', async () => {
  await run('h-live', { Test: ['CMD-SHELL', 'test ! -e /tmp/bad'], Interval: 250 * MS, Retries: 2 });
  await waitStatus('h-live', 'healthy');
  await d.kill9();
  const restartedAt = Date.now();
  await d.restart();
  assert.equal((await health('h-live')).Status, 'healthy', 'state survives the restart');
  await waitFor('a probe after the restart', async () => (await health('h-live')).Log.some((e: any) => Date.parse(e.Start) > restartedAt));
  await d.cli(['exec', 'h-live', 'touch', '/tmp/bad']);
  await waitStatus('h-live', 'unhealthy');
  await d.api('DELETE', '/containers/h-live?force=1');
});
