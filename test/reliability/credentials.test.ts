/**
 * Credentials (docs/reliability.md "Credentials"): registry credentials never show in the
 * daemon's log (at debug level), in `inspect` of images and containers, in `history` or in the
 * events stream. A daemon started with --debug logs in to, pushes to, pulls from and builds
 * `FROM` an htpasswd-protected registry (our `wharf registry serve` server), through the docker
 * CLI (X-Registry-Auth, X-Registry-Config) and through the API with headers we build; then every
 * output is searched for the password and for each encoding of it a client sends.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError, loadConfig, reloadConfig } from '../../src/daemon/config.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox, PASS, registryAuth, startOurRegistry, USER, type TestRegistry } from '../integration/distribution-harness.ts';
import { scaled } from './mode.ts';

let d: TestDaemon;
let reg: TestRegistry;
let REG: string;
/** A wrong password is a secret too: refusals must not echo it. */
const WRONG = `${PASS}-wrong`;

before(async () => {
  reg = await startOurRegistry();
  REG = reg.host;
  d = await startDaemon({ args: ['--debug'] });
  await importBusybox(d, 'cred-bb:latest');
});
after(async () => {
  await d?.stop();
  await reg?.close();
});

/** Every form of the secret a client may send: the password, basic auth, config.json's auth, X-Registry-Auth/-Config. */
function secrets(): string[] {
  const basic = Buffer.from(`${USER}:${PASS}`);
  const authJson = Buffer.from(JSON.stringify({ username: USER, password: PASS, serveraddress: REG }));
  const configJson = Buffer.from(JSON.stringify({ [REG]: { username: USER, password: PASS, serveraddress: REG } }));
  const out = [PASS, WRONG];
  out.push(registryAuth(REG, USER, WRONG), Buffer.from(`${USER}:${WRONG}`).toString('base64'));
  for (const b of [basic, authJson, configJson]) out.push(b.toString('base64'), b.toString('base64url'));
  out.push(registryAuth(REG));
  // The CLI's own header is whatever it encoded; config.json's auth blob is what it stored.
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(d.dir, 'docker-config', 'config.json'), 'utf8')) as { auths?: Record<string, { auth?: string }> };
    for (const a of Object.values(cfg.auths ?? {})) if (a.auth) out.push(a.auth);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return [...new Set(out)].filter((s) => s.length >= 8);
}

function assertClean(where: string, text: string): void {
  for (const s of secrets()) assert.ok(!text.includes(s), `${where} holds a credential (${s.slice(0, 6)}…)`);
}

const docker = (args: string[], input?: string) => d.docker(args, { input, timeoutMs: 120_000, env: { DOCKER_BUILDKIT: '0' } });

test('login, push, pull, run and build FROM an authenticated registry leak no credential', async () => {
  const login = await docker(['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
  assert.equal(login.code, 0, login.stderr);
  // The API's /auth too, with the password in the body.
  const auth = await d.api('POST', '/auth', { username: USER, password: PASS, serveraddress: REG });
  assert.equal(auth.status, 200, auth.body);
  const bad = await d.api('POST', '/auth', { username: USER, password: WRONG, serveraddress: REG });
  assert.equal(bad.status, 401, bad.body);
  assertClean('a refused login', bad.body);
  const badLogin = await docker(['login', '-u', USER, '--password-stdin', REG], `${WRONG}\n`);
  assert.notEqual(badLogin.code, 0);
  assertClean('a refused docker login', badLogin.stdout + badLogin.stderr);
  // A malformed body is refused without quoting it: V8's JSON errors quote a piece of the input.
  for (const body of [`{"username":"${USER}","password":${PASS}}`, `{"password":"${PASS}" x}`, PASS, `{"password":"${PASS}`]) {
    const r = await d.api('POST', '/auth', body, { 'Content-Type': 'application/json' });
    assert.equal(r.status, 400, r.body);
    assert.match(r.json.message, /^invalid JSON: /);
    assertClean('a refused malformed /auth body', r.body);
    assert.ok(!r.body.includes(PASS.slice(0, 6)), `no piece of the password: ${r.body}`);
  }

  const rounds = scaled({ fast: 1, soak: 5 });
  for (let i = 0; i < rounds; i++) {
    const ref = `${REG}/cred/bb:v${i}`;
    assert.equal((await docker(['tag', 'cred-bb:latest', ref])).code, 0);
    const push = await docker(['push', ref]);
    assert.equal(push.code, 0, push.stderr);
    assertClean('push output', push.stdout + push.stderr);
    assert.equal((await docker(['rmi', ref])).code, 0);
    const pull = await docker(['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    assertClean('pull output', pull.stdout + pull.stderr);
    // Through the API with an X-Registry-Auth header we built (its exact bytes are searched for).
    const apiPull = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${REG}/cred/bb`)}&tag=v${i}`, undefined, { 'X-Registry-Auth': registryAuth(REG) });
    assert.equal(apiPull.status, 200, apiPull.body);
    assertClean('API pull output', apiPull.body);
    const apiPush = await d.api('POST', `/images/${encodeURIComponent(ref)}/push`, undefined, { 'X-Registry-Auth': registryAuth(REG) });
    assert.equal(apiPush.status, 200, apiPush.body);
    assertClean('API push output', apiPush.body);
    // Refused with a wrong password: the error names no credential.
    const refused = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${REG}/cred/bb`)}&tag=v${i}`, undefined, { 'X-Registry-Auth': registryAuth(REG, USER, WRONG) });
    assertClean('a refused API pull', refused.body);
    const refusedPush = await d.api('POST', `/images/${encodeURIComponent(ref)}/push`, undefined, { 'X-Registry-Auth': registryAuth(REG, USER, WRONG) });
    assert.match(refusedPush.body, /unauthorized|authentication required/);
    assertClean('a refused API push', refusedPush.body);
    const run = await docker(['run', '--name', `cred-run-${i}`, ref, 'echo', 'ok']);
    assert.equal(run.code, 0, run.stderr);
  }

  // A build whose FROM needs the credentials: the CLI sends them in X-Registry-Config.
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cred-ctx-'));
  try {
    assert.equal((await docker(['rmi', `${REG}/cred/bb:v0`])).code, 0);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${REG}/cred/bb:v0\nRUN echo built > /built\nLABEL stage=cred\n`);
    const build = await docker(['build', '-t', 'cred-built', ctx]);
    assert.equal(build.code, 0, build.stderr + build.stdout);
    assertClean('build output', build.stdout + build.stderr);
    const again = await docker(['build', '--pull', '--no-cache', '-t', 'cred-built', ctx]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    // Through the API with an X-Registry-Config header we built.
    const tar = execFileSync('tar', ['-c', '-C', ctx, '.']);
    const cfgHeader = Buffer.from(JSON.stringify({ [REG]: { username: USER, password: PASS, serveraddress: REG } })).toString('base64url');
    const apiBuild = await d.api('POST', '/build?t=cred-api&pull=1&nocache=1', tar, { 'Content-Type': 'application/x-tar', 'X-Registry-Config': cfgHeader });
    assert.equal(apiBuild.status, 200, apiBuild.body);
    assert.match(apiBuild.body, /Successfully built/);
    assertClean('API build output', apiBuild.body);
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }

  assert.equal((await docker(['logout', REG])).code, 0);

  // Now every place a credential could land.
  const images = await d.api('GET', '/images/json?all=1');
  assert.equal(images.status, 200);
  const ids = (images.json as { Id: string }[]).map((i) => i.Id);
  for (const id of ids) {
    const ins = await d.api('GET', `/images/${id}/json`);
    assert.equal(ins.status, 200);
    assertClean(`inspect of image ${id}`, ins.body);
    const hist = await d.api('GET', `/images/${id}/history`);
    assert.equal(hist.status, 200);
    assertClean(`history of image ${id}`, hist.body);
  }
  const conts = await d.api('GET', '/containers/json?all=1');
  for (const c of conts.json as { Id: string }[]) {
    const ins = await d.api('GET', `/containers/${c.Id}/json`);
    assertClean(`inspect of container ${c.Id}`, ins.body);
  }
  assertClean('container list', conts.body);
  assertClean('image list', images.body);
  const events = await d.api('GET', `/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}`);
  assert.equal(events.status, 200);
  assert.match(events.body, /"Action":"push"/);
  assert.match(events.body, /"Action":"pull"/);
  assertClean('events', events.body);
  const info = await d.api('GET', '/info');
  assertClean('info', info.body);
  // Nothing the daemon keeps on disk holds them either (records, layers, logs, build state).
  for (const root of [d.dataRoot, d.execRoot]) {
    for (const f of filesUnder(root)) assertClean(`the file ${f}`, fs.readFileSync(f, 'latin1'));
  }
  const logs = d.logs();
  assert.match(logs, /level=debug/, 'the daemon logged at debug level');
  assertClean('daemon log', logs);
  assert.doesNotMatch(logs, /Authorization|Basic [A-Za-z0-9+/=]{8,}|Bearer [A-Za-z0-9._-]{8,}/i, 'no auth header in the log');
});

test('a registry mirror with credentials in its URL is refused, the password masked (as docker)', () => {
  const refuse = (args: string[]) => assert.throws(() => loadConfig(args), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^invalid mirror: username\/password not allowed in URI "http:\/\/bob:xxxxx@mirror\.example:5000\/"$/);
    assert.ok(!e.message.includes('hunter2'));
    return true;
  });
  refuse(['--config-file', tmpJson({}), '--registry-mirror', 'http://bob:hunter2@mirror.example:5000']);
  refuse(['--config-file', tmpJson({ 'registry-mirrors': ['http://bob:hunter2@mirror.example:5000'] })]);
  assert.throws(() => loadConfig(['--config-file', tmpJson({}), '--registry-mirror', 'mirror.example']), /invalid mirror: unsupported scheme "" in "mirror.example"/);
  assert.throws(() => loadConfig(['--config-file', tmpJson({}), '--registry-mirror', 'ftp://mirror.example']), /invalid mirror: unsupported scheme "ftp" in "ftp:\/\/mirror.example"/);
  // A reload (SIGHUP) that brings one in is refused whole: the running mirrors stay.
  const f = tmpJson({ 'registry-mirrors': ['http://mirror.example'] });
  const cfg = loadConfig(['--config-file', f]);
  fs.writeFileSync(f, JSON.stringify({ 'registry-mirrors': ['https://bob:hunter2@mirror.example'] }));
  assert.throws(() => reloadConfig(cfg), /username\/password not allowed in URI "https:\/\/bob:xxxxx@mirror.example\/"/);
  assert.deepEqual(cfg.registryMirrors, ['http://mirror.example']);
});

function tmpJson(v: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cred-cfg-'));
  const f = path.join(dir, 'daemon.json');
  fs.writeFileSync(f, JSON.stringify(v));
  return f;
}

/** Regular files under `dir` (symlinks not followed; sockets and fifos skipped). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
