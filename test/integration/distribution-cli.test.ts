/**
 * docker login / tag / push / pull / logout / search with the real docker CLI against a real
 * wharfd and our registry server (htpasswd basic auth, plain HTTP on 127.0.0.1).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox, PASS, startOurRegistry, USER, type TestRegistry } from './distribution-harness.ts';

describe('docker CLI: login, push, pull, logout, search against our registry', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let REG: string;
  let id: string;
  let digest: string;

  before(async () => {
    reg = await startOurRegistry({ publicSearch: true });
    REG = reg.host;
    d = await startDaemon();
    id = await importBusybox(d, 'distcli-bb:latest');
  });
  after(async () => {
    await d?.stop();
    await reg?.close();
  });

  const docker = (args: string[], input?: string) => d.docker(args, { input, timeoutMs: 120_000 });
  const configText = () => {
    try {
      return fs.readFileSync(path.join(d.dir, 'docker-config', 'config.json'), 'utf8');
    } catch {
      return '';
    }
  };

  it('push without login is refused', async () => {
    assert.equal((await docker(['tag', 'distcli-bb:latest', `${REG}/t/bb:v1`])).code, 0);
    const r = await docker(['push', `${REG}/t/bb:v1`]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stdout + r.stderr, /unauthorized|authentication required|no basic auth credentials/);
  });

  it('login with a wrong password is refused, the right one accepted', async () => {
    const bad = await docker(['login', '-u', USER, '--password-stdin', REG], 'definitely-wrong\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /401|[Uu]nauthorized/);
    assert.ok(!configText().includes(`"${REG}"`));
    const ok = await docker(['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout + ok.stderr, /Login Succeeded/);
    assert.ok(configText().includes(`"${REG}"`));
  });

  it('push shows progress, the digest line, and records RepoDigests', async () => {
    const r = await docker(['push', `${REG}/t/bb:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`The push refers to repository \\[${REG}/t/bb\\]`));
    assert.match(r.stdout, /: Pushed/);
    const m = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    digest = m[1]!;
    const insp = await docker(['image', 'inspect', '-f', '{{join .RepoDigests ","}}', `${REG}/t/bb:v1`]);
    assert.match(insp.stdout, new RegExp(`${REG}/t/bb@${digest}`));
  });

  it('a second push says "Layer already exists"', async () => {
    const r = await docker(['push', `${REG}/t/bb:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Layer already exists/);
    assert.doesNotMatch(r.stdout, /: Pushed/);
    assert.match(r.stdout, new RegExp(`v1: digest: ${digest}`));
  });

  it('push --all-tags pushes every local tag of the repository', async () => {
    for (const t of ['a', 'b']) assert.equal((await docker(['tag', 'distcli-bb:latest', `${REG}/t/multi:${t}`])).code, 0);
    const r = await docker(['push', '--all-tags', `${REG}/t/multi`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^a: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    assert.match(r.stdout, /^b: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    assert.equal((await docker(['rmi', `${REG}/t/multi:a`, `${REG}/t/multi:b`])).code, 0);
  });

  it('rmi, then pull by tag gives the same image id, which runs', async () => {
    const rmi = await docker(['rmi', `${REG}/t/bb:v1`, 'distcli-bb:latest']);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.match(rmi.stdout, new RegExp(`Deleted: ${id}`));
    const r = await docker(['pull', `${REG}/t/bb:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${digest}`));
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for ${REG}/t/bb:v1`));
    const insp = await docker(['image', 'inspect', '-f', '{{.Id}}', `${REG}/t/bb:v1`]);
    assert.equal(insp.stdout.trim(), id);
    const run = await docker(['run', '--name', 'dist-run', `${REG}/t/bb:v1`, 'echo', 'pulled-ok']);
    assert.equal(run.code, 0, `${run.stderr}\n${d.logs().slice(-3000)}`);
    assert.equal(run.stdout.trim(), 'pulled-ok');
    assert.equal((await docker(['rm', 'dist-run'])).code, 0);
    const again = await docker(['pull', `${REG}/t/bb:v1`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`Status: Image is up to date for ${REG}/t/bb:v1`));
  });

  it('pull by digest', async () => {
    assert.equal((await docker(['rmi', `${REG}/t/bb:v1`])).code, 0);
    const r = await docker(['pull', `${REG}/t/bb@${digest}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${digest}`));
    const insp = await docker(['image', 'inspect', '-f', '{{.Id}}', `${REG}/t/bb@${digest}`]);
    assert.equal(insp.stdout.trim(), id);
  });

  it('pushing an image that is not there is docker\'s 404 message', async () => {
    const r = await docker(['push', `${REG}/t/none:v1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`An image does not exist locally with the tag: ${REG}/t/none`));
  });

  it('a missing tag is docker\'s 404 message', async () => {
    const r = await docker(['pull', `${REG}/t/bb:nope`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`Error response from daemon: manifest for ${REG}/t/bb:nope not found: manifest unknown`));
  });

  it('search against the registry\'s v1 endpoint', async () => {
    const r = await docker(['search', `${REG}/t`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
    assert.match(r.stdout, /t\/bb/);
    const lim = await d.api('GET', `/images/search?term=${encodeURIComponent(`${REG}/t`)}&limit=101`);
    assert.equal(lim.status, 400);
    assert.match(lim.json.message, /limit 101 is outside the range of \[1, 100\]/);
    const bad = await d.api('GET', `/images/search?term=x&filters=${encodeURIComponent('{"bogus":["1"]}')}`);
    assert.equal(bad.status, 400);
    const term = encodeURIComponent(`${REG}/t`);
    const all = await d.api('GET', `/images/search?term=${term}`);
    assert.equal(all.status, 200, all.body);
    assert.deepEqual(Object.keys(all.json[0]).sort(), ['description', 'is_automated', 'is_official', 'name', 'star_count']);
    const starred = await d.api('GET', `/images/search?term=${term}&filters=${encodeURIComponent('{"stars":["1"]}')}`);
    assert.deepEqual(starred.json, []);
  });

  it('logout, then pull is refused', async () => {
    const r = await docker(['logout', REG]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`Removing login credentials for ${REG}`));
    assert.ok(!configText().includes(`"${REG}"`));
    const p = await docker(['pull', `${REG}/t/bb:v1`]);
    assert.notEqual(p.code, 0);
    assert.match(p.stdout + p.stderr, /unauthorized|authentication required|no basic auth credentials/);
  });
});
