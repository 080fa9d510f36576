/**
 * Listener kinds (SECURITY-CHECKS 18): unix, tcp refused without TLS unless --insecure-tcp,
 * tcp+TLS requiring client certificates from our CA (no cert, a foreign cert, and plain HTTP
 * are all refused), and the CLI's TLS flags.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http from 'node:http';
import fs from 'node:fs';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { startDaemon, runCli, WHARF, WHARFD, type TestDaemon } from '../helpers/daemon.ts';
import { makeCerts } from '../helpers/tls-certs.ts';

const certs = makeCerts();
fs.writeFileSync(`${certs.dir}/none.json`, '{}');
const daemons: TestDaemon[] = [];
after(async () => { for (const d of daemons) await d.stop(); fs.rmSync(certs.dir, { recursive: true, force: true }); });

function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
}

function tlsGet(port: number, opts: https.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/_ping', ca: fs.readFileSync(certs.ca), ...opts }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end();
  });
}

test('tcp:// without TLS refuses to start unless --insecure-tcp', async () => {
  const port = await freePort();
  const r = spawnSync(WHARFD, ['--data-root', `${certs.dir}/d1`, '--exec-root', `${certs.dir}/e1`, '-H', `tcp://127.0.0.1:${port}`, '--pidfile', `${certs.dir}/p1`, '--config-file', `${certs.dir}/none.json`, '--iptables', 'false'], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /refusing to listen on tcp:\/\/127.0.0.1:\d+ without TLS/);

  const d = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${port}`, '--insecure-tcp'] });
  daemons.push(d);
  const status = await new Promise<number>((resolve, reject) => http.get({ host: '127.0.0.1', port, path: '/_ping' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject));
  assert.equal(status, 200);
});

test('tcp+TLS with --tlsverify: our client cert accepted; none, foreign and plain HTTP refused', async () => {
  const port = await freePort();
  const d = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey] });
  daemons.push(d);
  assert.equal(await tlsGet(port, { cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) }), 200);
  await assert.rejects(tlsGet(port, {}));
  await assert.rejects(tlsGet(port, { cert: fs.readFileSync(certs.foreignCert), key: fs.readFileSync(certs.foreignKey) }));
  const plain = await new Promise<string>((resolve) => {
    const c = net.createConnection(port, '127.0.0.1');
    let out = '';
    c.on('data', (b) => (out += b));
    c.on('close', () => resolve(out));
    c.on('error', () => resolve(out));
    c.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.match(plain, /^HTTP\/1\.[01] 400/);

  const ok = await runCli(WHARF, ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey, 'version', '--format', '{{.Server.Os}}']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'linux');
  fs.mkdirSync(`${certs.dir}/client-dir`, { recursive: true });
  fs.copyFileSync(certs.ca, `${certs.dir}/client-dir/ca.pem`);
  fs.copyFileSync(certs.clientCert, `${certs.dir}/client-dir/cert.pem`);
  fs.copyFileSync(certs.clientKey, `${certs.dir}/client-dir/key.pem`);
  const viaEnv = await runCli(WHARF, ['version', '--format', '{{.Server.Os}}'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${certs.dir}/client-dir` } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(viaEnv.stdout.trim(), 'linux');
  // No ca.pem: the daemon's certificate is trusted through NODE_EXTRA_CA_CERTS, which bin/wharf
  // keeps away from Node's start-up and the client applies itself; without it, refused.
  fs.mkdirSync(`${certs.dir}/no-ca`, { recursive: true });
  fs.copyFileSync(certs.clientCert, `${certs.dir}/no-ca/cert.pem`);
  fs.copyFileSync(certs.clientKey, `${certs.dir}/no-ca/key.pem`);
  const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${certs.dir}/no-ca` };
  const viaExtraCa = await runCli(WHARF, ['version', '--format', '{{.Server.Os}}'], { env: { ...env, NODE_EXTRA_CA_CERTS: certs.ca } });
  assert.equal(viaExtraCa.code, 0, viaExtraCa.stderr);
  assert.equal(viaExtraCa.stdout.trim(), 'linux');
  const untrusted = await runCli(WHARF, ['version', '--format', '{{.Server.Os}}'], { env: { ...env, NODE_EXTRA_CA_CERTS: '' } });
  assert.notEqual(untrusted.code, 0);
});

test('fd:// takes the listening socket from systemd socket activation (LISTEN_FDS/LISTEN_PID)', async () => {
  const dir = fs.mkdtempSync('/tmp/wharf-fd-');
  const sock = `${dir}/activated.sock`;
  fs.writeFileSync(`${dir}/daemon.json`, '{}');
  const py = [
    'import socket, os, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
    `s.bind(${JSON.stringify(sock)})`,
    's.listen(16)',
    'if s.fileno() != 3: os.dup2(s.fileno(), 3)',
    'os.set_inheritable(3, True)',
    "os.environ['LISTEN_FDS'] = '1'",
    "os.environ['LISTEN_PID'] = str(os.getpid())",
    `os.execvp(${JSON.stringify(WHARFD)}, [${JSON.stringify(WHARFD)}, '-H', 'fd://', '--data-root', '${dir}/data', '--exec-root', '${dir}/exec', '--pidfile', '${dir}/pid', '--config-file', '${dir}/daemon.json', '--iptables', 'false'])`,
  ].join('\n');
  const { spawn } = await import('node:child_process');
  const p = spawn('python3', ['-c', py], { stdio: 'ignore' });
  try {
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await new Promise<number>((resolve) => {
        const r = http.get({ socketPath: sock, path: '/_ping' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        r.on('error', () => resolve(0));
      });
    }
    assert.equal(status, 200);
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
