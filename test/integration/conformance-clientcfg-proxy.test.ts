/**
 * Pulls, pushes, login and search through a real forward proxy (a small CONNECT + plain-HTTP
 * proxy written here, on loopback, with Basic proxy auth and a log of what it forwarded).
 *
 * Why the registry is not at 127.0.0.1: Go's httpproxy (dockerd's) — and wharf, which follows
 * it — never proxies `localhost` or a loopback address, whatever NO_PROXY says. So the tests
 * reach our registry two other ways:
 *  - by a name that cannot resolve: `registry.wharf-proxy.invalid` (RFC 6761 reserves
 *    `.invalid`). Only the proxy knows where it is (it maps the name to the loopback
 *    registry), so a pull that succeeds went through the proxy; with NO_PROXY=.invalid the
 *    daemon resolves the name itself and fails. No /etc/hosts change, nothing leaves the host;
 *  - by a non-loopback address on a dummy interface this test creates (198.18.55.1/32 on
 *    `wpx5` — a veth pair where the kernel has no dummy driver — removed afterwards; skipped
 *    where it cannot be created): NO_PROXY with that
 *    address's CIDR sends the pull straight to the registry, and the proxy's log stays empty.
 * The registry is served over TLS (a terminator in front of our plain-HTTP registry server)
 * for the CONNECT path, and over plain HTTP for the absolute-URI path.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { makeCerts, type TestCerts } from '../helpers/tls-certs.ts';
import { importBusybox, PASS, startOurRegistry, USER, type TestRegistry } from './distribution-harness.ts';

const NAME = 'registry.wharf-proxy.invalid';
const PLAIN_NAME = 'plain.wharf-proxy.invalid';
const FILES_NAME = 'files.wharf-proxy.invalid';
const PROXY_USER = 'wharf';
const PROXY_PASS = 'px-s3cret';
const DUMMY_IF = 'wpx5';
const DUMMY_IP = '198.18.55.1';

interface TestProxy { port: number; log: string[]; /** Bytes carried through CONNECT tunnels (either way). */ tunnelled(): number; close(): Promise<void> }

/** A forward proxy: CONNECT tunnels and absolute-URI requests, `route` maps host:port to where it really is. */
async function startProxy(route: (host: string, port: number) => { host: string; port: number } | undefined): Promise<TestProxy> {
  const log: string[] = [];
  let tunnelled = 0;
  const expected = 'Basic ' + Buffer.from(`${PROXY_USER}:${PROXY_PASS}`).toString('base64');
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    if (req.headers['proxy-authorization'] !== expected) {
      log.push(`407 ${req.method} ${req.url}`);
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"' }).end();
      return;
    }
    log.push(`${req.method} ${req.url}`);
    let u: URL;
    try { u = new URL(req.url ?? ''); } catch { res.writeHead(400).end(); return; }
    const t = route(u.hostname, Number(u.port || 80));
    if (!t) { res.writeHead(502).end(); return; }
    const { 'proxy-authorization': _pa, ...headers } = req.headers;
    const up = http.request({ host: t.host, port: t.port, method: req.method, path: u.pathname + u.search, headers, agent: false }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('connect', (req: http.IncomingMessage, sock: net.Socket, head: Buffer) => {
    sock.on('error', () => {});
    if (req.headers['proxy-authorization'] !== expected) {
      log.push(`407 CONNECT ${req.url}`);
      sock.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    log.push(`CONNECT ${req.url}`);
    const i = (req.url ?? '').lastIndexOf(':');
    const t = route((req.url ?? '').slice(0, i), Number((req.url ?? '').slice(i + 1)));
    if (!t) { sock.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'); return; }
    const up = net.connect(t.port, t.host, () => {
      sock.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length) up.write(head);
      up.on('data', (c: Buffer) => { tunnelled += c.length; });
      sock.on('data', (c: Buffer) => { tunnelled += c.length; });
      up.pipe(sock);
      sock.pipe(up);
    });
    up.on('error', () => sock.destroy());
    sock.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port, log, tunnelled: () => tunnelled,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** TLS in front of a plain TCP service (our registry server speaks plain HTTP). */
async function startTlsTerminator(certs: TestCerts, host: string, upstreamHost: string, upstreamPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const conns = new Set<net.Socket>();
  const server = tls.createServer({ cert: fs.readFileSync(certs.serverCert), key: fs.readFileSync(certs.serverKey) }, (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    const up = net.connect(upstreamPort, upstreamHost);
    s.pipe(up).pipe(s);
    up.on('error', () => s.destroy());
    s.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => { for (const c of conns) c.destroy(); server.close(() => r()); }) };
}

function ip(args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

describe('proxies: pull, push, login and search go through HTTP(S)_PROXY, NO_PROXY skips it', () => {
  let reg: TestRegistry;
  let certs: TestCerts;
  let terminator: Awaited<ReturnType<typeof startTlsTerminator>>;
  let proxy: TestProxy;
  let d: TestDaemon;
  let cfgDir: string;
  let REG: string; // NAME:port (TLS, reached through CONNECT)
  let PLAIN: string; // PLAIN_NAME:port (plain HTTP through the proxy)
  let files: http.Server;
  let FILES: string; // FILES_NAME:port (a file server for ADD <url>)

  before(async () => {
    reg = await startOurRegistry({ publicSearch: true });
    const regPort = Number(reg.host.split(':')[1]);
    certs = makeCerts();
    terminator = await startTlsTerminator(certs, '127.0.0.1', '127.0.0.1', regPort);
    REG = `${NAME}:${terminator.port}`;
    PLAIN = `${PLAIN_NAME}:${regPort}`;
    files = http.createServer((req, res) => { res.writeHead(req.url === '/hello.txt' ? 200 : 404).end(req.url === '/hello.txt' ? 'hello through the proxy\n' : ''); });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const filesPort = (files.address() as net.AddressInfo).port;
    FILES = `${FILES_NAME}:${filesPort}`;
    proxy = await startProxy((host, port) => {
      if (host === FILES_NAME && port === filesPort) return { host: '127.0.0.1', port: filesPort };
      if (host === NAME && port === terminator.port) return { host: '127.0.0.1', port: terminator.port };
      // plain: CONNECT to it is refused (502), so the daemon falls back to http:// through the proxy
      if (host === PLAIN_NAME && port === regPort) return { host: '127.0.0.1', port: regPort };
      return undefined;
    });
    const px = `http://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:${proxy.port}`;
    d = await startDaemon({
      args: ['--insecure-registry', REG, '--insecure-registry', PLAIN],
      env: { HTTP_PROXY: px, HTTPS_PROXY: px, NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '' },
    });
    cfgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-proxy-cfg-'));
    await importBusybox(d, 'pxbb:latest');
  });
  after(async () => {
    await d?.stop();
    await proxy?.close();
    await terminator?.close();
    await new Promise((r) => (files ? files.close(r) : r(undefined)));
    await reg?.close();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
    if (cfgDir) fs.rmSync(cfgDir, { recursive: true, force: true });
  });

  const cli = (args: string[], input?: string) => d.cli(args, { input, env: { DOCKER_CONFIG: cfgDir }, timeoutMs: 120_000 });

  it('info shows the proxies with the credentials masked', async () => {
    const info = (await d.api('GET', '/info')).json;
    assert.equal(info.HttpProxy, `http://xxxxx:xxxxx@127.0.0.1:${proxy.port}`);
    assert.equal(info.HttpsProxy, `http://xxxxx:xxxxx@127.0.0.1:${proxy.port}`);
    assert.doesNotMatch(JSON.stringify(info), new RegExp(PROXY_PASS));
    const cli = await d.cli(['info']);
    assert.match(cli.stdout, new RegExp(`^ HTTP Proxy: http://xxxxx:xxxxx@127\\.0\\.0\\.1:${proxy.port}$`, 'm'));
    assert.match(cli.stdout, /^ HTTPS Proxy: http:\/\/xxxxx:xxxxx@/m);
    assert.doesNotMatch(cli.stdout, /No Proxy/, 'an empty value is left out, as docker does');
  });

  it('login, push and pull of a registry only the proxy can reach (CONNECT tunnel, TLS inside)', async () => {
    const login = await cli(['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.ok(proxy.log.includes(`CONNECT ${REG}`), proxy.log.join('\n'));
    assert.equal((await cli(['tag', 'pxbb:latest', `${REG}/t/bb:v1`])).code, 0);
    const push = await cli(['push', `${REG}/t/bb:v1`]);
    assert.equal(push.code, 0, push.stdout + push.stderr);
    assert.match(push.stdout, /v1: digest: sha256:/);
    assert.equal((await cli(['rmi', `${REG}/t/bb:v1`])).code, 0);
    const bytesBefore = proxy.tunnelled();
    const reqBefore = reg.requests.length;
    const pull = await cli(['pull', `${REG}/t/bb:v1`]);
    assert.equal(pull.code, 0, pull.stdout + pull.stderr);
    assert.match(pull.stdout, /Downloaded newer image/);
    // The pull may reuse the push's tunnel (keep-alive, as Go's transport does): its manifest
    // and config crossed the proxy (the layer is still local under pxbb), and the registry
    // served the pull's requests.
    assert.ok(proxy.tunnelled() - bytesBefore > 1000, `${proxy.tunnelled() - bytesBefore} bytes tunnelled`);
    assert.ok(reg.requests.slice(reqBefore).some((r) => r.startsWith('GET /v2/t/bb/manifests/v1')), reg.requests.join('\n'));
    assert.ok(!proxy.log.some((l) => l.startsWith('407')), 'the proxy credentials were sent');
  });

  it('search goes through the proxy', async () => {
    const bytesBefore = proxy.tunnelled();
    const r = await cli(['search', `${REG}/t/bb`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /t\/bb/);
    assert.ok(proxy.tunnelled() > bytesBefore);
  });

  it('plain HTTP goes to the proxy as an absolute-URI request', async () => {
    const r = await d.api('POST', `/images/create?fromImage=${encodeURIComponent(`${PLAIN}/t/bb`)}&tag=v1`, undefined, {
      'X-Registry-Auth': Buffer.from(JSON.stringify({ username: USER, password: PASS, serveraddress: PLAIN })).toString('base64url'),
    });
    assert.equal(r.status, 200, r.body);
    assert.doesNotMatch(r.body, /"error"/, r.body);
    assert.ok(proxy.log.some((l) => l.startsWith(`GET http://${PLAIN}/v2/`)), proxy.log.join('\n'));
  });

  it('a build\'s ADD <url> goes through the proxy', async () => {
    const ctxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-proxy-build-'));
    try {
      fs.writeFileSync(path.join(ctxDir, 'Dockerfile'), `FROM pxbb:latest\nADD http://${FILES}/hello.txt /hello.txt\n`);
      const b = await cli(['build', '-q', '-t', 'pxadd:1', ctxDir]);
      assert.equal(b.code, 0, b.stdout + b.stderr);
      assert.ok(proxy.log.includes(`GET http://${FILES}/hello.txt`), proxy.log.join('\n'));
      const r = await cli(['run', '--rm', 'pxadd:1', 'cat', '/hello.txt']);
      assert.equal(r.stdout, 'hello through the proxy\n');
    } finally {
      fs.rmSync(ctxDir, { recursive: true, force: true });
    }
  });

  it('NO_PROXY skips the proxy: the daemon resolves the name itself, and fails', async () => {
    const d2 = await startDaemon({
      args: ['--insecure-registry', REG],
      env: { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: 'wharf-proxy.invalid', http_proxy: '', https_proxy: '', no_proxy: '' },
    });
    try {
      const before = proxy.log.length;
      const r = await d2.cli(['pull', `${REG}/t/bb:v1`], { env: { DOCKER_CONFIG: cfgDir }, timeoutMs: 120_000 });
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /ENOTFOUND|EAI_AGAIN|no such host/, r.stderr);
      assert.deepEqual(proxy.log.slice(before), []);
    } finally {
      await d2.stop();
    }
  });

  describe('a registry on a non-loopback address (dummy or veth interface)', () => {
    let dummy = false;
    before(async () => {
      ip(['link', 'del', DUMMY_IF]);
      dummy = (ip(['link', 'add', DUMMY_IF, 'type', 'dummy']) || ip(['link', 'add', DUMMY_IF, 'type', 'veth', 'peer', 'name', `${DUMMY_IF}p`]))
        && ip(['addr', 'add', `${DUMMY_IP}/32`, 'dev', DUMMY_IF]) && ip(['link', 'set', DUMMY_IF, 'up']);
    });
    after(() => { if (dummy) ip(['link', 'del', DUMMY_IF]); });

    it('HTTP_PROXY is used for it, NO_PROXY (CIDR from daemon.json) goes direct', async (t) => {
      if (!dummy) { t.skip('cannot create a dummy interface here'); return; }
      const { createRegistryServer } = await import('../../src/registry/server/index.ts');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-proxy-reg-'));
      const server = createRegistryServer({ root: path.join(dir, 'data') });
      const { port } = await server.listen(0, DUMMY_IP);
      const HOST = `${DUMMY_IP}:${port}`;
      const px = `http://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:${proxy.port}`;
      const viaProxy = await startProxy((h, p) => (h === DUMMY_IP && p === port ? { host: DUMMY_IP, port } : undefined));
      const cfgFile = path.join(dir, 'daemon.json');
      fs.writeFileSync(cfgFile, JSON.stringify({ 'insecure-registries': [HOST], proxies: { 'http-proxy': px.replace(String(proxy.port), String(viaProxy.port)), 'https-proxy': px.replace(String(proxy.port), String(viaProxy.port)) } }));
      const d3 = await startDaemon({ configFile: cfgFile, env: { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '' } });
      try {
        await importBusybox(d3, 'pxbb:latest');
        assert.equal((await d3.cli(['tag', 'pxbb:latest', `${HOST}/t/ip:v1`])).code, 0);
        const push = await d3.cli(['push', `${HOST}/t/ip:v1`], { env: { DOCKER_CONFIG: dir }, timeoutMs: 120_000 });
        assert.equal(push.code, 0, push.stdout + push.stderr);
        assert.ok(viaProxy.log.some((l) => l === `CONNECT ${HOST}` || l.startsWith(`PUT http://${HOST}/`) || l.startsWith(`HEAD http://${HOST}/`)), viaProxy.log.join('\n'));
        assert.ok(viaProxy.log.some((l) => l.startsWith(`GET http://${HOST}/v2/`)), viaProxy.log.join('\n'));
      } finally {
        await d3.stop();
      }
      // the same daemon.json with no-proxy: the address's CIDR → direct, the proxy sees nothing
      fs.writeFileSync(cfgFile, JSON.stringify({ 'insecure-registries': [HOST], proxies: { 'http-proxy': `http://127.0.0.1:${viaProxy.port}`, 'https-proxy': `http://127.0.0.1:${viaProxy.port}`, 'no-proxy': 'example.com,198.18.55.0/24' } }));
      const d4 = await startDaemon({ configFile: cfgFile, env: { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '' } });
      try {
        const info = (await d4.api('GET', '/info')).json;
        assert.equal(info.NoProxy, 'example.com,198.18.55.0/24');
        const before = viaProxy.log.length;
        const pull = await d4.cli(['pull', `${HOST}/t/ip:v1`], { env: { DOCKER_CONFIG: dir }, timeoutMs: 120_000 });
        assert.equal(pull.code, 0, pull.stdout + pull.stderr);
        assert.deepEqual(viaProxy.log.slice(before), []);
      } finally {
        await d4.stop();
        await viaProxy.close();
        await server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
