/**
 * docker-compose 1.29.2 (Debian's, unchanged) against a real wharfd, on the four-service project
 * of compose-scenario.ts: build, up -d with the three depends_on conditions, named volume, bind
 * mount, env_file/environment, a published port, user-network names and aliases, ps, logs -f,
 * exec, run --rm, --scale, restart, stop/start, an unchanged and a changed second up, down -v.
 * `COMPOSE_TEST_HOST=unix:///tmp/refdocker/docker.sock` runs the same steps on the reference docker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startNetDaemon, freePort, until, type NetHarness } from './networking-harness.ts';
import { composeFile, httpGet, scenario, states, type ComposeScenario } from './compose-scenario.ts';

const haveCompose = (() => { try { execFileSync('docker-compose', ['version'], { stdio: 'ignore' }); return true; } catch { return false; } })();

let h: NetHarness | undefined;
let s: ComposeScenario;
let port: number;

before(async () => {
  if (!haveCompose) return;
  port = await freePort();
  const host = process.env.COMPOSE_TEST_HOST;
  if (!host) h = await startNetDaemon();
  s = scenario(host ?? h!.d.host, port);
});

after(async () => {
  if (!haveCompose) return;
  await s.compose(['down', '-v', '--rmi', 'local', '--remove-orphans']).catch(() => {});
  fs.rmSync(s.dir, { recursive: true, force: true });
  await h?.close();
});

async function inspect(name: string): Promise<any> {
  const r = await s.docker(['inspect', name]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

const c = (svc: string, n = 1) => `${s.project}_${svc}_${n}`;

test('build, then up -d honours service_completed_successfully and service_healthy', { skip: !haveCompose && 'docker-compose is not installed' }, async () => {
  const built = await s.ok(['build'], 180_000);
  assert.match(built, /Successfully tagged/);
  await s.ok(['up', '-d'], 180_000);
  assert.deepEqual(await states(s), { seed: ['exited'], store: ['running'], web: ['running'], worker: ['running'] });

  const seed = await inspect(c('seed'));
  const store = await inspect(c('store'));
  const web = await inspect(c('web'));
  assert.equal(seed.State.ExitCode, 0);
  assert.ok(Date.parse(store.State.StartedAt) >= Date.parse(seed.State.FinishedAt), 'store starts after seed completed');
  assert.equal(store.State.Health.Status, 'healthy');
  const firstPass = store.State.Health.Log.find((l: any) => l.ExitCode === 0);
  assert.ok(firstPass, 'a passing probe is logged');
  assert.ok(Date.parse(web.State.StartedAt) >= Date.parse(firstPass.End) - 1000, 'web starts once store is healthy');
});

test('the web service answers on its published port, reaching store by alias and by service name', { skip: !haveCompose }, async () => {
  let body = '';
  await until(async () => {
    try { body = (await httpGet(`http://127.0.0.1:${port}/cgi-bin/hello`)).body; } catch { return false; }
    return body.includes('by service name: hello');
  }, 'web answers', 20_000);
  assert.match(body, /^compose on wharf$/m, 'env_file reached the container');
  assert.match(body, /^by alias: hello from a named volume$/m);
  assert.match(body, /^by service name: hello from a named volume$/m);
});

test('ps, logs -f, exec and run --rm', { skip: !haveCompose }, async () => {
  const ps = await s.ok(['ps']);
  assert.match(ps, new RegExp(`${c('store')}\\s.*Up \\(healthy\\)`));
  assert.match(ps, new RegExp(`${c('seed')}\\s.*Exit 0`));
  assert.match(ps, new RegExp(`${c('web')}\\s.*0\\.0\\.0\\.0:${port}->80/tcp`));

  const logs = await s.ok(['logs', '-f', '--no-color', 'seed'], 30_000);
  assert.match(logs, /seed_1\s+\| seeded/);

  assert.equal((await s.out(['exec', '-T', 'store', 'cat', '/etc/store.conf'])).trim(), 'bound from the host');
  assert.equal((await s.out(['exec', '-T', 'store', 'cat', '/data/greeting'])).trim(), 'hello from a named volume');

  const ran = await s.compose(['run', '--rm', '-T', '--no-deps', 'seed', 'cat', '/data/greeting']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /hello from a named volume/);
  assert.deepEqual((await states(s)).seed, ['exited'], 'run --rm leaves no container');
});

test('--scale, restart, stop and start', { skip: !haveCompose }, async () => {
  await s.ok(['up', '-d', '--scale', 'worker=3'], 120_000);
  assert.deepEqual((await states(s)).worker, ['running', 'running', 'running']);

  const before = (await inspect(c('worker', 2))).State.StartedAt;
  await s.ok(['restart', 'worker']);
  const after = await inspect(c('worker', 2));
  assert.equal(after.State.Running, true);
  assert.notEqual(after.State.StartedAt, before);

  await s.ok(['stop', 'store']);
  assert.deepEqual((await states(s)).store, ['exited']);
  await s.ok(['start', 'store']);
  assert.deepEqual((await states(s)).store, ['running']);
});

test('a second up -d leaves unchanged services alone and recreates a changed one', { skip: !haveCompose }, async () => {
  const ids = async () => Object.fromEntries(await Promise.all(['web', 'store', 'worker'].map(async (svc) => [svc, (await inspect(c(svc))).Id])));
  const first = await ids();
  const again = await s.ok(['up', '-d', '--scale', 'worker=3'], 120_000);
  assert.match(again, /web_1 is up-to-date/);
  assert.deepEqual(await ids(), first);

  fs.writeFileSync(path.join(s.dir, 'docker-compose.yml'), composeFile(port).replace('MODE: one', 'MODE: two'));
  const changed = await s.ok(['up', '-d', '--scale', 'worker=3'], 120_000);
  assert.match(changed, /Recreating .*worker_1/);
  const now = await ids();
  assert.equal(now.web, first.web);
  assert.equal(now.store, first.store);
  assert.notEqual(now.worker, first.worker);
  assert.ok((await inspect(c('worker'))).Config.Env.includes('MODE=two'));
});

test('down -v removes containers, networks and volumes', { skip: !haveCompose }, async () => {
  await s.ok(['down', '-v'], 120_000);
  assert.deepEqual(await states(s), {});
  const nets = await s.docker(['network', 'ls', '--format', '{{.Name}}']);
  assert.ok(!nets.stdout.split('\n').includes(`${s.project}_backend`), nets.stdout);
  const vols = await s.docker(['volume', 'ls', '--format', '{{.Name}}']);
  assert.ok(!vols.stdout.split('\n').includes(`${s.project}_appdata`), vols.stdout);
});
