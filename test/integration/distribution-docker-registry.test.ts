/**
 * The seed scenario's publishing steps with the real docker CLI against a real wharfd and
 * Debian's `docker-registry` (distribution 2.8, htpasswd auth, plain HTTP on 127.0.0.1):
 * login refused/accepted, tag, push, second push, rmi, pull by tag and digest, run, logout.
 * Skipped when the binary is not installed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { dockerRegistryBin, importBusybox, PASS, startDockerRegistry, USER, type TestRegistry } from './distribution-harness.ts';

describe('docker CLI against distribution 2.8', { skip: dockerRegistryBin ? false : 'docker-registry not installed' }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let REG: string;
  let id: string;
  let digest: string;

  before(async () => {
    reg = await startDockerRegistry();
    REG = reg.host;
    d = await startDaemon();
    id = await importBusybox(d, 'd28-bb:v1');
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

  it('push before login is refused; login refused with a wrong password, accepted with the right one', async () => {
    assert.equal((await docker(['tag', 'd28-bb:v1', `${REG}/p/pushme:v1`])).code, 0);
    const p = await docker(['push', `${REG}/p/pushme:v1`]);
    assert.notEqual(p.code, 0);
    assert.match(p.stdout + p.stderr, /no basic auth credentials|unauthorized|authentication required/);
    const bad = await docker(['login', '-u', USER, '--password-stdin', REG], 'definitely-wrong\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /401|[Uu]nauthorized/);
    assert.ok(!configText().includes(`"${REG}"`));
    const ok = await docker(['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout + ok.stderr, /Login Succeeded/);
  });

  it('push, then a second push finds the layer', async () => {
    const r = await docker(['push', `${REG}/p/pushme:v1`]);
    assert.equal(r.code, 0, r.stderr);
    const m = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    digest = m[1]!;
    const res = await fetch(`http://${REG}/v2/p/pushme/tags/list`, { headers: { Authorization: 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64') } });
    assert.deepEqual(await res.json(), { name: 'p/pushme', tags: ['v1'] });
    const again = await docker(['push', `${REG}/p/pushme:v1`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Layer already exists/);
    const insp = await docker(['image', 'inspect', '-f', '{{join .RepoDigests ","}}', `${REG}/p/pushme:v1`]);
    assert.match(insp.stdout, new RegExp(`${REG}/p/pushme@${digest}`));
  });

  it('rmi, pull by tag (same id, runs), pull again is up to date, pull by digest', async () => {
    const rmi = await docker(['rmi', `${REG}/p/pushme:v1`, 'd28-bb:v1']);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.match(rmi.stdout, new RegExp(`Deleted: ${id}`));
    const r = await docker(['pull', `${REG}/p/pushme:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${digest}`));
    assert.match(r.stdout, new RegExp(`Downloaded newer image for ${REG}/p/pushme:v1`));
    assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', `${REG}/p/pushme:v1`])).stdout.trim(), id);
    const run = await docker(['run', '--name', 'dist-run', `${REG}/p/pushme:v1`, 'echo', 'from-d28']);
    assert.equal(run.code, 0, `${run.stderr}\n${d.logs().slice(-3000)}`);
    assert.equal(run.stdout.trim(), 'from-d28');
    assert.equal((await docker(['rm', 'dist-run'])).code, 0);
    const again = await docker(['pull', `${REG}/p/pushme:v1`]);
    assert.match(again.stdout, new RegExp(`Image is up to date for ${REG}/p/pushme:v1`));
    assert.equal((await docker(['rmi', `${REG}/p/pushme:v1`])).code, 0);
    const byDigest = await docker(['pull', `${REG}/p/pushme@${digest}`]);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', `${REG}/p/pushme@${digest}`])).stdout.trim(), id);
  });

  it('a missing tag is docker\'s 404 message', async () => {
    const r = await docker(['pull', `${REG}/p/pushme:nope`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /manifest for .*p\/pushme:nope not found: manifest unknown/);
  });

  it('logout, then pull is refused', async () => {
    const r = await docker(['logout', REG]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`Removing login credentials for ${REG}`));
    await docker(['rmi', `${REG}/p/pushme@${digest}`]);
    const p = await docker(['pull', `${REG}/p/pushme:v1`]);
    assert.notEqual(p.code, 0);
    assert.match(p.stdout + p.stderr, /no basic auth credentials|unauthorized|authentication required/);
  });
});
