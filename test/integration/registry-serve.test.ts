/** `runRegistry(argv)` as a process: serves with htpasswd until SIGTERM, then exits 0. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RegistryClient } from '../../src/registry/client/index.ts';
import { htpasswdLine } from '../../src/registry/server/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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

describe('wharf registry serve', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-registry-serve-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('serves with auth and stops on SIGTERM', async () => {
    await fs.writeFile(path.join(dir, 'htpasswd'), htpasswdLine('dave', 'pw', 4) + '\n');
    const port = await freePort();
    const script = `import('./src/registry/server/index.ts').then(async (m) => process.exit(await m.runRegistry(JSON.parse(process.argv[1]))))`;
    const argv = ['serve', '--addr', `127.0.0.1:${port}`, '--root', path.join(dir, 'data'), '--htpasswd', path.join(dir, 'htpasswd')];
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, JSON.stringify(argv)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', () => log.includes('listening on') && resolve());
        child.once('exit', () => reject(new Error('exited early: ' + log)));
      });
      assert.match(log, new RegExp(`level=info msg="listening on 127\\.0\\.0\\.1:${port}"`));
      await assert.rejects(new RegistryClient().login(`127.0.0.1:${port}`, 'dave', 'no'), /401 Unauthorized/);
      assert.equal((await new RegistryClient().login(`127.0.0.1:${port}`, 'dave', 'pw')).status, 'Login Succeeded');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
