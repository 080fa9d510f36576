/**
 * Our client and pipelines against the reference registry: Debian's `docker-registry`
 * (distribution 2.8) with htpasswd auth on 127.0.0.1. Skipped when the binary is absent.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManifestUnknownError, parseReference, pullImage, pushImage, RegistryClient, RegistryUnauthorizedError } from '../../src/registry/client/index.ts';
import { htpasswdLine } from '../../src/registry/server/index.ts';
import { DirDestination, MemoryDigestCache, MemorySource } from './registry-fixtures.ts';

const bin = ['/usr/bin/docker-registry', '/usr/local/bin/registry'].find((p) => spawnSync(p, ['--version']).status === 0);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`registry did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('registry client against distribution 2.8', { skip: bin ? false : 'docker-registry not installed' }, () => {
  let dir: string;
  let proc: ChildProcess;
  let host: string;
  let log = '';
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-distribution-'));
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    await fs.writeFile(path.join(dir, 'htpasswd'), htpasswdLine('bob', 'hunter2', 4) + '\n');
    await fs.writeFile(
      path.join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: { level: warn }',
        `storage: { filesystem: { rootdirectory: ${dir}/data }, delete: { enabled: true } }`,
        `http: { addr: "${host}", secret: test-secret }`,
        `auth: { htpasswd: { realm: dist-test, path: ${dir}/htpasswd } }`,
        '',
      ].join('\n'),
    );
    proc = spawn(bin!, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (log += d));
    proc.stderr!.on('data', (d) => (log += d));
    await waitForPort(port, 20_000);
  });
  after(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('login, push, pull by tag and digest, 404 wording', async () => {
    await assert.rejects(new RegistryClient().login(host, 'bob', 'nope'), RegistryUnauthorizedError);
    assert.equal((await new RegistryClient().login(host, 'bob', 'hunter2')).status, 'Login Succeeded');
    const client = new RegistryClient({ auth: { username: 'bob', password: 'hunter2' } });
    const ref = parseReference(`${host}/wharf/app:v1`);
    const source = new MemorySource([150_000, 2_000]);
    const cache = new MemoryDigestCache();
    const pushed = await pushImage({ client, ref, source, cache });
    assert.deepEqual(await client.tags(ref), ['v1'], log);
    const again = await pushImage({ client, ref, source, cache });
    assert.equal(again.digest, pushed.digest);
    for (const r of [ref, parseReference(`${host}/wharf/app@${pushed.digest}`)]) {
      const dest = await DirDestination.create();
      try {
        const res = await pullImage({ client, ref: r, dest });
        assert.equal(res.digest, pushed.digest);
        assert.equal(res.configDigest, source.imageId);
      } finally {
        await dest.remove();
      }
    }
    await assert.rejects(client.getManifest(parseReference(`${host}/wharf/app:missing`)), (err: Error) => {
      assert.ok(err instanceof ManifestUnknownError);
      assert.match(err.message, /^manifest for 127\.0\.0\.1:\d+\/wharf\/app:missing not found: manifest unknown: manifest unknown/);
      return true;
    });
    await assert.rejects(new RegistryClient().getManifest(ref), /no basic auth credentials/);
  });

  it('cross-repo mount', async () => {
    const client = new RegistryClient({ auth: { username: 'bob', password: 'hunter2' } });
    const a = parseReference(`${host}/wharf/mnt-a:v1`);
    const pushed = await pushImage({ client, ref: a, source: new MemorySource([1_000]) });
    const b = parseReference(`${host}/wharf/mnt-b:v1`);
    const l = pushed.layers[0];
    assert.equal(await client.uploadBlob(b, l.digest, l.size, () => { throw new Error('must mount'); }, { mountFrom: 'wharf/mnt-a' }), 'mounted');
    assert.equal(await client.blobExists(b, l.digest), l.size);
  });
});
