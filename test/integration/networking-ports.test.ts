/**
 * Published ports end to end with the real docker CLI: every `-p` form answers from the host
 * (127.0.0.1) and from another container, `docker port` / inspect show HostIp 0.0.0.0, a
 * taken host port refuses the start (docker's text) and leaves nothing behind, and the rules
 * go away when the container stops, is killed, or exits by itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { freePort, freePortRange, httpGet, iptablesLines, startNetDaemon, until, type NetHarness } from './networking-harness.ts';

let h: NetHarness;
// httpd serving /www/index.html = the container's hostname, on ports 80 and 81.
const HTTPD = ['busybox', 'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && httpd -p 81 -h /www && exec httpd -f -p 80 -h /www'];

before(async () => { h = await startNetDaemon(); });
after(async () => { await h?.close(); });

async function inspect(name: string): Promise<any> {
  const r = await h.d.api('GET', `/containers/${name}/json`);
  assert.equal(r.status, 200, r.body);
  return r.json;
}

/** The body httpd serves on host:port, waiting for httpd to listen (it starts after `run -d`). */
async function answers(port: number, host = '127.0.0.1'): Promise<string> {
  let body = '';
  await until(async () => {
    try {
      const r = await httpGet(`http://${host}:${port}/`, 2000);
      body = r.body.trim();
      return r.status === 200;
    } catch {
      return false;
    }
  }, `http://${host}:${port}/ to answer`);
  return body;
}

function dnatRulesFor(id: string): string[] {
  return iptablesLines(h.prefix).filter((l) => l.includes(id) && l.includes('--to-destination'));
}

test('-p HOSTPORT:CPORT answers on 127.0.0.1 and from another container; docker port shows 0.0.0.0', async () => {
  const port = await freePort();
  const id = await h.ok(['run', '-d', '--name', 'web1', '-p', `${port}:80`, ...HTTPD]);
  assert.equal(await answers(port), id.slice(0, 12));
  // (busybox-static's wget crashes with -T: no timeout flag below)
  assert.equal((await h.ok(['port', 'web1'])), `80/tcp -> 0.0.0.0:${port}`);
  assert.equal((await h.ok(['port', 'web1', '80'])), `0.0.0.0:${port}`);
  const c = await inspect('web1');
  assert.deepEqual(c.NetworkSettings.Ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: String(port) }]);
  assert.deepEqual(c.HostConfig.PortBindings['80/tcp'], [{ HostIp: '', HostPort: String(port) }]);
  const ip = c.NetworkSettings.Networks.bridge.IPAddress as string;
  assert.match(ip, new RegExp(`^${h.gateway.replace(/\.1$/, '').replace(/\./g, '\\.')}\\.`));
  // from another container: through the host address (published port) and directly
  const viaHost = await h.ok(['run', '--rm', 'busybox', 'wget', '-qO-', `http://${h.gateway}:${port}/`]);
  assert.equal(viaHost, id.slice(0, 12));
  const direct = await h.ok(['run', '--rm', 'busybox', 'wget', '-qO-', `http://${ip}:80/`]);
  assert.equal(direct, id.slice(0, 12));
  await h.ok(['rm', '-f', 'web1']);
  assert.deepEqual(dnatRulesFor(id), []);
  await assert.rejects(httpGet(`http://127.0.0.1:${port}/`, 1000));
});

test('-p IP:HOSTPORT:CPORT, -p IP::CPORT and -p CPORT', async () => {
  const port = await freePort();
  const id = await h.ok(['run', '-d', '--name', 'web2', '-p', `127.0.0.1:${port}:80`, '-p', '127.0.0.1::81', ...HTTPD]);
  assert.equal(await answers(port), id.slice(0, 12));
  const c = await inspect('web2');
  assert.deepEqual(c.NetworkSettings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
  const [b81] = c.NetworkSettings.Ports['81/tcp'];
  assert.equal(b81.HostIp, '127.0.0.1');
  assert.ok(Number(b81.HostPort) > 0);
  assert.equal(await answers(Number(b81.HostPort)), id.slice(0, 12));
  assert.equal(await h.ok(['port', 'web2', '81/tcp']), `127.0.0.1:${b81.HostPort}`);

  const id3 = await h.ok(['run', '-d', '--name', 'web3', '-p', '80', ...HTTPD]);
  const out = await h.ok(['port', 'web3', '80']);
  const m = /^0\.0\.0\.0:(\d+)$/.exec(out.split('\n')[0]!);
  assert.ok(m, out);
  assert.equal(await answers(Number(m[1])), id3.slice(0, 12));
  await h.ok(['rm', '-f', 'web2', 'web3']);
  assert.deepEqual([...dnatRulesFor(id), ...dnatRulesFor(id3)], []);
});

test('port ranges and -P', async () => {
  const base = await freePortRange(2);
  const id = await h.ok(['run', '-d', '--name', 'web4', '-p', `${base}-${base + 1}:80-81`, ...HTTPD]);
  assert.equal(await answers(base), id.slice(0, 12));
  assert.equal(await answers(base + 1), id.slice(0, 12));
  const ports = (await h.ok(['port', 'web4'])).split('\n').sort();
  assert.deepEqual(ports, [`80/tcp -> 0.0.0.0:${base}`, `81/tcp -> 0.0.0.0:${base + 1}`]);

  const id5 = await h.ok(['run', '-d', '--name', 'web5', '--expose', '80', '--expose', '81', '-P', ...HTTPD]);
  const c = await inspect('web5');
  for (const k of ['80/tcp', '81/tcp']) {
    const [b] = c.NetworkSettings.Ports[k];
    assert.equal(b.HostIp, '0.0.0.0');
    assert.equal(await answers(Number(b.HostPort)), id5.slice(0, 12));
  }

  // a host range for one container port: the first free port of the range
  const pool = await freePortRange(3);
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(pool, '0.0.0.0', () => r()));
  try {
    const id6 = await h.ok(['run', '-d', '--name', 'web6', '-p', `${pool}-${pool + 2}:80`, ...HTTPD]);
    assert.equal(await h.ok(['port', 'web6', '80']), `0.0.0.0:${pool + 1}`);
    assert.equal(await answers(pool + 1), id6.slice(0, 12));
  } finally {
    blocker.close();
  }
  await h.ok(['rm', '-f', 'web4', 'web5', 'web6']);
});

test('/udp publishing reaches a UDP server in the container', async () => {
  const port = await freePort();
  const id = await h.ok(['run', '-d', '--name', 'udp1', '-p', `${port}:9999/udp`, 'busybox', 'sleep', '300']);
  assert.equal(await h.ok(['port', 'udp1']), `9999/udp -> 0.0.0.0:${port}`);
  // busybox-static has no UDP server: run a UDP echo server in the container's netns from here.
  const nsPath = (await inspect('udp1')).NetworkSettings.SandboxKey as string;
  const echo = spawn('nsenter', [`--net=${nsPath}`, process.execPath, '-e',
    "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m,r.port,r.address));s.bind(9999,()=>console.log('ready'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((r) => echo.stdout!.once('data', () => r()));
    const sock = dgram.createSocket('udp4');
    try {
      const reply = new Promise<string>((r) => sock.once('message', (m) => r(m.toString())));
      let got = '';
      void reply.then((m) => { got = m; });
      await until(() => { if (!got) sock.send('hello', port, '127.0.0.1'); return !!got; }, 'the UDP echo', 10_000);
      assert.equal(got, 'echo:hello');
    } finally {
      sock.close();
    }
  } finally {
    echo.kill();
  }
  await h.ok(['rm', '-f', 'udp1']);
  assert.deepEqual(dnatRulesFor(id), []);
});

test('a host port already taken refuses the start with docker\'s error; nothing is left behind', async () => {
  const port = await freePort();
  const id = await h.ok(['run', '-d', '--name', 'first', '-p', `${port}:80`, ...HTTPD]);
  const r = await h.d.docker(['run', '-d', '--name', 'second', '-p', `${port}:80`, ...HTTPD]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
  const second = await inspect('second');
  assert.equal(second.State.Running, false);
  assert.deepEqual(dnatRulesFor(second.Id), []);
  assert.equal(await answers(port), id.slice(0, 12));

  // taken by a host process, not a container
  const srv = net.createServer();
  const hostPort = await new Promise<number>((r) => srv.listen(0, '0.0.0.0', () => r((srv.address() as net.AddressInfo).port)));
  try {
    const r2 = await h.d.docker(['run', '-d', '--name', 'third', '-p', `${hostPort}:80`, ...HTTPD]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, new RegExp(`0\\.0\\.0\\.0:${hostPort}`));
    const third = await inspect('third');
    assert.equal(third.State.Running, false);
    assert.deepEqual(dnatRulesFor(third.Id), []);
  } finally {
    srv.close();
  }
  await h.ok(['rm', '-f', 'first', 'second', 'third']);
});

test('rules are removed on stop, on kill and when the container exits by itself', async () => {
  const port = await freePort();
  const id = await h.ok(['run', '-d', '--name', 'st1', '-p', `${port}:80`, ...HTTPD]);
  assert.equal(dnatRulesFor(id).length, 1);
  await h.ok(['stop', '-t', '1', 'st1']);
  assert.deepEqual(dnatRulesFor(id), []);
  const c = await inspect('st1');
  assert.deepEqual(c.NetworkSettings.Ports, {});
  // restart publishes again, same port
  await h.ok(['start', 'st1']);
  assert.equal(await answers(port), id.slice(0, 12));
  await h.ok(['kill', 'st1']);
  await until(() => dnatRulesFor(id).length === 0, 'rules gone after kill');

  const port2 = await freePort();
  const id2 = await h.ok(['run', '-d', '--name', 'crash1', '-p', `${port2}:80`, 'busybox', 'sh', '-c', 'sleep 1; exit 3']);
  await until(async () => (await inspect('crash1')).State.Status === 'exited', 'crash1 exited');
  assert.equal((await inspect('crash1')).State.ExitCode, 3);
  assert.deepEqual(dnatRulesFor(id2), []);
  // the port is free again
  const srv = net.createServer();
  await new Promise<void>((r, j) => { srv.once('error', j); srv.listen(port2, '0.0.0.0', () => r()); });
  srv.close();
  await h.ok(['rm', '-f', 'st1', 'crash1']);
  assert.deepEqual(h.leftovers(), []);
});
