/**
 * Shared pieces of the distribution tests: our registry server on 127.0.0.1 with an htpasswd
 * file and a log of the requests it served, Debian's `docker-registry` (distribution 2.8)
 * when installed, the X-Registry-Auth header, and a busybox image in a test daemon.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRegistryServer, htpasswdLine, type RegistryServer } from '../../src/registry/server/index.ts';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';
import type { TestDaemon } from '../helpers/daemon.ts';

export const USER = 'alice';
export const PASS = 's3cret-pass';

export interface TestRegistry {
  host: string;
  dir: string;
  /** `METHOD path` of every request served (ours only). */
  requests: string[];
  server?: RegistryServer;
  close(): Promise<void>;
}

/** Our registry server with basic auth (alice / s3cret-pass). */
export async function startOurRegistry(opts: { publicSearch?: boolean } = {}): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-dist-reg-'));
  fs.writeFileSync(path.join(dir, 'htpasswd'), htpasswdLine(USER, PASS, 4) + '\n');
  const server = createRegistryServer({ root: path.join(dir, 'data'), auth: { htpasswd: path.join(dir, 'htpasswd'), realm: 'wharf-test' }, publicSearch: opts.publicSearch });
  const requests: string[] = [];
  server.server.prependListener('request', (req) => {
    if (req.headers.authorization) requests.push(`${req.method} ${req.url}`);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    host: `127.0.0.1:${port}`, dir, requests, server,
    async close() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const dockerRegistryBin = ['/usr/bin/docker-registry', '/usr/local/bin/registry'].find((p) => fs.existsSync(p) && spawnSync(p, ['--version']).status === 0);

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
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`registry did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Debian's docker-registry with htpasswd auth (alice / s3cret-pass). */
export async function startDockerRegistry(): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-dist-d28-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  fs.writeFileSync(path.join(dir, 'htpasswd'), htpasswdLine(USER, PASS, 4) + '\n');
  fs.writeFileSync(path.join(dir, 'config.yml'), [
    'version: 0.1',
    'log: { level: warn }',
    `storage: { filesystem: { rootdirectory: ${dir}/data }, delete: { enabled: true } }`,
    `http: { addr: "${host}", secret: test-secret }`,
    `auth: { htpasswd: { realm: dist-test, path: ${dir}/htpasswd } }`,
    '',
  ].join('\n'));
  const proc: ChildProcess = spawn(dockerRegistryBin!, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitForPort(port, 20_000);
  return {
    host, dir, requests: [],
    async close() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The X-Registry-Auth header the docker CLI sends. */
export function registryAuth(serveraddress: string, username = USER, password = PASS): string {
  return Buffer.from(JSON.stringify({ username, password, serveraddress })).toString('base64url');
}

/** Imports the busybox rootfs as `name`; returns the image id. */
export async function importBusybox(d: TestDaemon, name: string): Promise<string> {
  const r = await d.cli(['import', await busyboxRootfsTar(), name]);
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  return (await d.api('GET', `/images/${name}/json`)).json.Id as string;
}

/** The JSON messages of a streamed answer. */
export function messages(body: string): Record<string, any>[] {
  return body.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
}

/** Files under a directory (relative paths), for before/after comparisons. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      out.push(path.join(rel, e.name));
      if (e.isDirectory() && rel.split(path.sep).length < 2) walk(path.join(d, e.name), path.join(rel, e.name));
    }
  };
  walk(dir, '');
  return out.sort();
}
