/**
 * The daemon's HTTP surface: _ping and version headers, routing with and without /v1.NN,
 * docker's 404 and version errors, header limits, events, filesystem permissions
 * (SECURITY-CHECKS 18, appendix C routing/version/HTTP rows), and the real docker CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startDaemon, apiRequest, type TestDaemon } from '../helpers/daemon.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

function rawHttp(sock: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    let out = '';
    c.on('data', (b) => (out += b));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.write(request);
    setTimeout(() => c.end(), 500);
  });
}

test('GET and HEAD /_ping carry the negotiation headers', async () => {
  for (const method of ['GET', 'HEAD']) {
    const r = await d.api(method, '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.headers['api-version'], '1.47');
    assert.equal(r.headers['ostype'], 'linux');
    assert.equal(r.headers['docker-experimental'], 'false');
    if (method === 'GET') assert.equal(r.body, 'OK');
  }
});

test('/version answers with and without a version prefix', async () => {
  for (const p of ['/version', '/v1.47/version', '/v1.24/version', '/v1.41/version']) {
    const r = await d.api('GET', p);
    assert.equal(r.status, 200, p);
    assert.equal(r.json.ApiVersion, '1.47');
    assert.equal(r.json.MinAPIVersion, '1.24');
    assert.equal(r.json.Os, 'linux');
  }
});

test('a too-new API version is a 400 with docker\'s message', async () => {
  const r = await d.api('GET', '/v9.99/version');
  assert.equal(r.status, 400);
  assert.equal(r.json.message, 'client version 9.99 is too new. Maximum supported API version is 1.47');
});

test('a too-old API version is a 400', async () => {
  const r = await d.api('GET', '/v1.11/version');
  assert.equal(r.status, 400);
  assert.match(r.json.message, /client version 1.11 is too old. Minimum supported API version is 1.24/);
});

test('unknown routes and methods are 404 page not found', async () => {
  for (const [m, p] of [['GET', '/nope'], ['DELETE', '/version'], ['GET', '/v1.47/nope/x']]) {
    const r = await d.api(m!, p!);
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.deepEqual(r.json, { message: 'page not found' });
    assert.match(String(r.headers['content-type']), /application\/json/);
  }
});

test('dot-dot paths are cleaned with a redirect, never routed', async () => {
  const r = await d.api('GET', '/containers/%2e%2e%2f%2e%2e%2fetc/json');
  assert.equal(r.status, 301);
});

test('/info reports real figures', async () => {
  const r = await d.api('GET', '/info');
  assert.equal(r.status, 200);
  const i = r.json;
  assert.equal(i.DockerRootDir, d.dataRoot);
  assert.equal(typeof i.NCPU, 'number');
  assert.ok(i.NCPU >= 1);
  assert.ok(i.MemTotal > 0);
  assert.match(i.KernelVersion, /^\d+\.\d+/);
  assert.equal(i.OSType, 'linux');
  assert.ok(['1', '2'].includes(i.CgroupVersion));
  assert.equal(i.ExperimentalBuild, false);
  assert.ok(i.Runtimes.runc);
  assert.ok(Array.isArray(i.RegistryConfig.InsecureRegistryCIDRs));
});

test('headers up to 1 MiB are accepted, beyond is 431', async () => {
  const ok = await d.api('GET', '/_ping', undefined, { 'X-Big': 'a'.repeat(1_040_000) });
  assert.equal(ok.status, 200);
  const big = await rawHttp(d.sock, `GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1_100_000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1.1 431/);
});

test('a garbage request line is a 400', async () => {
  const r = await rawHttp(d.sock, 'BLAH\r\n\r\n');
  assert.match(r, /^HTTP\/1.1 400/);
});

test('HTTP rows of appendix C: no Host, many headers, bad chunking, truncated JSON, big bodies', async () => {
  assert.match(await rawHttp(d.sock, 'GET /_ping HTTP/1.1\r\n\r\n'), /^HTTP\/1.1 400/);
  const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'b'.repeat(600)}\r\n`).join('');
  assert.match(await rawHttp(d.sock, `GET /_ping HTTP/1.1\r\nHost: x\r\n${many}\r\n`), /^HTTP\/1.1 431/);
  assert.match(await rawHttp(d.sock, 'POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), /^HTTP\/1.1 400/);
  const partial = await d.api('POST', '/containers/create', '{"Image":"bb",', { 'Content-Type': 'application/json' });
  assert.equal(partial.status, 400);
  assert.match(partial.json.message, /invalid JSON/);
  const deep = await d.api('POST', '/containers/create', '['.repeat(10000), { 'Content-Type': 'application/json' });
  assert.equal(deep.status, 400);
  const labels: Record<string, string> = {};
  for (let i = 0; i < 200_000; i++) labels[`label-${i}`] = 'v'.repeat(80);
  const big = await d.api('POST', '/containers/create', { Image: 'bb-not-here', Labels: labels });
  assert.ok([404, 201].includes(big.status), `big body: ${big.status}`);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
});

test('events: history with since/until returns and ends; filters are validated', async () => {
  const now = Date.now() / 1000;
  const r = await d.api('GET', `/events?since=${now - 60}&until=${now}`);
  assert.equal(r.status, 200);
  const bad = await d.api('GET', `/events?until=${now}&filters=${encodeURIComponent('{"bad":["x"]}')}`);
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /Invalid filter 'bad'/);
  const malformed = await d.api('GET', `/events?until=${now}&filters=${encodeURIComponent('{bad')}`);
  assert.equal(malformed.status, 400);
});

test('check 18: socket 0660, data root at most 0710, exec root 0700', () => {
  assert.equal(fs.statSync(d.sock).mode & 0o777, 0o660);
  assert.equal(fs.statSync(d.dataRoot).mode & 0o777 & ~0o710, 0);
  assert.equal(fs.statSync(d.execRoot).mode & 0o777, 0o700);
});

test('a second daemon on the same data root refuses to start', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('bin/wharfd', ['--data-root', d.dataRoot, '--exec-root', d.execRoot + '2', '-H', `unix://${d.dir}/other.sock`, '--pidfile', `${d.dir}/other.pid`, '--config-file', `${d.dir}/daemon.json`], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /already using data root/);
  assert.equal((await apiRequest(d.sock, 'GET', '/_ping')).status, 200);
});

test('the real docker CLI: version, info and events work', async (t) => {
  const probe = await d.docker(['--version']).catch(() => undefined);
  if (!probe || probe.code !== 0) { t.skip('docker CLI not installed'); return; }
  const v = await d.docker(['version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /Server: Wharf Engine/);
  assert.match(v.stdout, /API version:\s+1\.47 \(minimum version 1\.24\)/);
  const i = await d.docker(['info']);
  assert.equal(i.code, 0, i.stderr);
  assert.match(i.stdout, /Server Version: 0\.1\.0/);
  assert.match(i.stdout, new RegExp(`Docker Root Dir: ${d.dataRoot}`));
  const e = await d.docker(['events', '--since', '1m', '--until', '0s'], { timeoutMs: 15_000 });
  assert.equal(e.code, 0, e.stderr);
});

test('wharf CLI: version, info, and a clear message when the daemon is absent', async () => {
  const v = await d.cli(['version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /Server: Wharf Engine/);
  // docker's types.Version names the field APIVersion (JSON "ApiVersion"); templates see the Go name
  const f = await d.cli(['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(f.stdout.trim(), '1.47');
  const json = await d.cli(['version', '--format', '{{.Server.ApiVersion}}']);
  assert.equal(json.code, 1);
  assert.match(json.stderr, /can't evaluate field ApiVersion in type \*types\.Version/);
  const info = await d.cli(['info', '--format', '{{json .RegistryConfig.Mirrors}}']);
  assert.equal(info.stdout.trim(), '[]');
  const gone = await d.cli(['version'], { env: { WHARF_HOST: `unix://${d.dir}/nothing.sock` } });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, new RegExp(`Cannot connect to the wharf daemon at unix://${d.dir}/nothing.sock. Is the daemon running\\?`));
});

test('wharf CLI: --help everywhere; unbuilt commands say so and exit 1', async () => {
  const h = await d.cli(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage:\s+wharf \[OPTIONS\] COMMAND/);
  const vh = await d.cli(['version', '--help']);
  assert.equal(vh.code, 0);
  assert.match(vh.stdout, /--format/);
  const bogus = await d.cli(['frobnicate']);
  assert.equal(bogus.code, 1);
  assert.match(bogus.stderr, /'frobnicate' is not a wharf command/);
  const unk = await d.cli(['version', '--nope']);
  assert.notEqual(unk.code, 0);
  assert.match(unk.stderr, /unknown flag: --nope/);
});
