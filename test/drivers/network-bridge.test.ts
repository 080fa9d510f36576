/**
 * Conformance of the bridge network driver against the real kernel: netns + veth + IPAM,
 * published ports reached with curl on 127.0.0.1, refused ports, internal networks, embedded
 * DNS, teardown leaving nothing behind, restore after re-creating the driver.
 * Everything is test-private: own bridge name, chain prefix, subnets, temp state/exec roots.
 * Only loopback and namespaces made here are ever used as targets. Needs root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BridgeNetworkDriver } from '../../src/drivers/network/bridge/driver.ts';
import { buildResponse, parseQuery } from '../../src/drivers/network/bridge/dns-message.ts';


const isRoot = process.getuid?.() === 0;
const tag = crypto.randomBytes(3).toString('hex');
const prefix = `WT${tag.toUpperCase()}`;
const bridgeName = `wt${tag}0`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-net-'));
const stateDir = path.join(tmp, 'state');
const execRoot = path.join(tmp, 'run');
const children: ChildProcess[] = [];

/** A random 10.X.Y.0/24 that no host route covers. */
function freeSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (;;) {
    const x = 200 + crypto.randomInt(50);
    const y = crypto.randomInt(256);
    if (!routes.includes(`10.${x}.`)) return `10.${x}.${y}.0/24`;
  }
}

function nsExec(nsPath: string, args: string[]): string {
  return execFileSync('nsenter', [`--net=${nsPath}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Async variant: needed when the daemon side (the embedded DNS) must answer meanwhile. */
async function nsExecAsync(nsPath: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('nsenter', [`--net=${nsPath}`, ...args], { encoding: 'utf8' });
  return stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function curl(url: string): string {
  return execFileSync('curl', ['-s', '--max-time', '5', url], { encoding: 'utf8' });
}

/** Starts busybox httpd inside a netns and waits (by polling, bounded) until it answers. */
async function startHttpd(nsPath: string, ip: string, body: string): Promise<ChildProcess> {
  const dir = fs.mkdtempSync(path.join(tmp, 'www-'));
  fs.writeFileSync(path.join(dir, 'index.html'), body);
  const child = spawn('nsenter', [`--net=${nsPath}`, 'busybox', 'httpd', '-f', '-p', '80', '-h', dir], { stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    try {
      if (curl(`http://${ip}:80/`) === body) return child;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('httpd did not come up');
}

/** Stops a process started in a netns (it keeps the netns, and so its veth, alive). */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await done;
}

function iptablesLines(): string[] {
  const all = ['filter', 'nat', 'raw'].map((t) => execFileSync('iptables-save', ['-t', t], { encoding: 'utf8' })).join('\n');
  return all.split('\n').filter((l) => l.includes(prefix));
}

function id(): string {
  return crypto.randomBytes(32).toString('hex');
}

describe('bridge network driver', { skip: !isRoot && 'needs root' }, () => {
  const subnet = freeSubnet();
  const bip = subnet.replace(/0\/24$/, '1/24');
  let driver: BridgeNetworkDriver;

  before(async () => {
    driver = new BridgeNetworkDriver({ stateDir, execRoot, bridgeName, bip, chainPrefix: prefix });
    await driver.init();
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await driver?.uninstall().catch((e) => console.error('uninstall', e));
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(iptablesLines(), [], 'no rule of ours remains');
    assert.equal(fs.existsSync(`/sys/class/net/${bridgeName}`), false, 'bridge removed');
  });

  test('init is idempotent and installs the static chains once', async () => {
    const before = iptablesLines().length;
    await driver.init();
    assert.equal(iptablesLines().length, before);
    assert.ok(iptablesLines().some((l) => l === `-A FORWARD -j ${prefix}-FORWARD`));
    assert.ok(iptablesLines().some((l) => l.includes(`-A ${prefix}-RAW -d 127.0.0.0/8 -i ${bridgeName} -j DROP`)));
    assert.equal(fs.readFileSync(`/proc/sys/net/ipv4/conf/${bridgeName}/route_localnet`, 'utf8').trim(), '1');
  });

  test('two sandboxes on the default bridge ping each other by IP', async () => {
    const a = id();
    const b = id();
    try {
      const t0 = process.hrtime.bigint();
      const { nsPath: nsA } = await driver.createSandbox(a);
      const epA = await driver.connect(a, 'bridge', {});
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const { nsPath: nsB } = await driver.createSandbox(b);
      const epB = await driver.connect(b, 'bridge', {});
      console.log(`# netns + veth + ip + route: ${ms.toFixed(1)} ms`);
      assert.equal(nsA, path.join(execRoot, 'netns', a));
      assert.equal(epA.ifname, 'eth0');
      assert.equal(epA.prefixLen, 24);
      assert.equal(epA.gateway, bip.split('/')[0]);
      assert.notEqual(epA.ip, epB.ip);
      assert.equal(epA.mac, '02:42:' + epA.ip.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join(':'));
      nsExec(nsA, ['busybox', 'ping', '-c', '1', '-W', '3', epB.ip]);
      nsExec(nsB, ['busybox', 'ping', '-c', '1', '-W', '3', epA.ip]);
      assert.match(nsExec(nsA, ['ip', 'route']), new RegExp(`default via ${epA.gateway} dev eth0`));
      assert.match(nsExec(nsA, ['ip', '-o', 'link', 'show', 'lo']), /UP/);
    } finally {
      await driver.destroySandbox(a);
      await driver.destroySandbox(b);
    }
  });

  test('published ports answer on 127.0.0.1 (wildcard, 127.0.0.1-only, random), also from another container', async () => {
    const a = id();
    const b = id();
    let httpd: ChildProcess | undefined;
    try {
      const { nsPath } = await driver.createSandbox(a);
      const ep = await driver.connect(a, 'bridge', {});
      const [p1, p2] = [await freePort(), await freePort()];
      const t0 = process.hrtime.bigint();
      const bound = await driver.publish(a, [
        { hostIp: '', hostPort: p1, containerPort: 80, proto: 'tcp' },
        { hostIp: '127.0.0.1', hostPort: p2, containerPort: 80, proto: 'tcp' },
        { hostIp: '', hostPort: 0, containerPort: 80, proto: 'tcp' },
      ]);
      console.log(`# publish 3 ports: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
      assert.equal(bound[0]!.hostIp, '0.0.0.0');
      assert.equal(bound[0]!.hostPort, p1);
      assert.equal(bound[1]!.hostIp, '127.0.0.1');
      assert.ok(bound[2]!.hostPort > 0);
      httpd = await startHttpd(nsPath, ep.ip, 'hello-from-a');
      assert.equal(curl(`http://127.0.0.1:${p1}/`), 'hello-from-a');
      assert.equal(curl(`http://127.0.0.1:${p2}/`), 'hello-from-a');
      assert.equal(curl(`http://127.0.0.1:${bound[2]!.hostPort}/`), 'hello-from-a');
      assert.equal(curl(`http://${ep.gateway}:${p1}/`), 'hello-from-a');
      // another container reaches it via the host (gateway) address, and so does the container itself (hairpin)
      const { nsPath: nsB } = await driver.createSandbox(b);
      await driver.connect(b, 'bridge', {});
      assert.equal(nsExec(nsB, ['curl', '-s', '--max-time', '5', `http://${ep.gateway}:${p1}/`]), 'hello-from-a');
      assert.equal(nsExec(nsPath, ['curl', '-s', '--max-time', '5', `http://${ep.gateway}:${p1}/`]), 'hello-from-a');
      assert.deepEqual(driver.getSandbox(a)!.ports, bound);

      await driver.unpublish(a);
      assert.throws(() => curl(`http://127.0.0.1:${p1}/`));
      assert.equal(iptablesLines().filter((l) => l.includes(`${prefix}:${a}`)).length, 0);
    } finally {
      await stop(httpd);
      await driver.destroySandbox(a);
      await driver.destroySandbox(b);
    }
  });

  test('raw guard: a container cannot reach host services bound to 127.0.0.1 (CVE-2020-8558)', async () => {
    const a = id();
    const dir = fs.mkdtempSync(path.join(tmp, 'secret-'));
    fs.writeFileSync(path.join(dir, 'index.html'), 'HOST-LOCALHOST-ONLY');
    const port = await freePort();
    const hostOnly = spawn('busybox', ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', dir], { stdio: 'ignore' });
    children.push(hostOnly);
    const guard = `-t raw -D ${prefix}-RAW -d 127.0.0.0/8 -i ${bridgeName} -j DROP`.split(' ');
    let guardRemoved = false;
    try {
      for (let i = 0; i < 100; i++) {
        try { if (curl(`http://127.0.0.1:${port}/`) === 'HOST-LOCALHOST-ONLY') break; } catch { /* starting */ }
        await new Promise((r) => setTimeout(r, 50));
      }
      const { nsPath } = await driver.createSandbox(a);
      const ep = await driver.connect(a, 'bridge', {});
      // the attacker: send 127.0.0.1 to the gateway instead of the container's own loopback
      nsExec(nsPath, ['sysctl', '-qw', 'net.ipv4.conf.eth0.route_localnet=1']);
      nsExec(nsPath, ['ip', 'route', 'add', '127.0.0.1/32', 'via', ep.gateway, 'dev', 'eth0', 'table', '100']);
      nsExec(nsPath, ['ip', 'rule', 'add', 'pref', '10', 'to', '127.0.0.1/32', 'lookup', '100']);
      nsExec(nsPath, ['ip', 'rule', 'add', 'pref', '200', 'lookup', 'local']);
      nsExec(nsPath, ['ip', 'rule', 'del', 'pref', '0']);
      assert.throws(() => nsExec(nsPath, ['curl', '-s', '--max-time', '2', `http://127.0.0.1:${port}/`]), 'blocked by the guard');
      // the check is meaningful: without the guard the same request gets through
      execFileSync('iptables', guard);
      guardRemoved = true;
      assert.equal(nsExec(nsPath, ['curl', '-s', '--max-time', '5', `http://127.0.0.1:${port}/`]), 'HOST-LOCALHOST-ONLY');
    } finally {
      if (guardRemoved) execFileSync('iptables', guard.map((x) => (x === '-D' ? '-A' : x)));
      await stop(hostOnly);
      await driver.destroySandbox(a);
    }
  });

  test('a host port already in use is refused with docker\'s message and nothing is left behind', async () => {
    const a = id();
    const b = id();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      await driver.createSandbox(a);
      await driver.connect(a, 'bridge', {});
      const free = await freePort();
      await assert.rejects(
        driver.publish(a, [
          { hostIp: '', hostPort: free, containerPort: 80, proto: 'tcp' },
          { hostIp: '', hostPort: taken, containerPort: 80, proto: 'tcp' },
        ]),
        { message: `Bind for 0.0.0.0:${taken} failed: port is already allocated` },
      );
      assert.deepEqual(driver.getSandbox(a)!.ports, []);
      assert.equal(iptablesLines().filter((l) => l.includes(`${prefix}:${a}`)).length, 0);
      // the first port was released again
      await driver.publish(a, [{ hostIp: '', hostPort: free, containerPort: 80, proto: 'tcp' }]);
      // and is now taken for another container
      await driver.createSandbox(b);
      await driver.connect(b, 'bridge', {});
      await assert.rejects(driver.publish(b, [{ hostIp: '', hostPort: free, containerPort: 80, proto: 'tcp' }]), {
        message: `Bind for 0.0.0.0:${free} failed: port is already allocated`,
      });
    } finally {
      blocker.close();
      await driver.destroySandbox(a);
      await driver.destroySandbox(b);
    }
  });

  test('an internal network gives no default route and no NAT', async () => {
    const n = await driver.createNetwork({ name: `int-${tag}`, subnet: freeSubnet(), internal: true });
    const a = id();
    try {
      const { nsPath } = await driver.createSandbox(a);
      const ep = await driver.connect(a, n.id, {});
      assert.equal(ep.gateway, '');
      assert.doesNotMatch(nsExec(nsPath, ['ip', 'route']), /default/);
      assert.ok(!iptablesLines().some((l) => l.includes(n.subnet) && l.includes('MASQUERADE')));
    } finally {
      await driver.destroySandbox(a);
      await driver.removeNetwork(n.id);
    }
  });

  test('user-defined network: embedded DNS at 127.0.0.11 resolves names and aliases', async () => {
    const n = await driver.createNetwork({ name: `dns-${tag}`, subnet: freeSubnet(), labels: { a: 'b' } });
    const web = id();
    const client = id();
    try {
      await driver.createSandbox(web);
      const epWeb = await driver.connect(web, n.name, { aliases: ['web', 'www-alias'] });
      const { nsPath } = await driver.createSandbox(client);
      const epClient = await driver.connect(client, n.name, { aliases: ['client'] });
      const out = await nsExecAsync(nsPath, ['busybox', 'nslookup', 'web', '127.0.0.11']);
      assert.match(out, new RegExp(`Address:? *${epWeb.ip.replace(/\./g, '\\.')}`));
      assert.match(await nsExecAsync(nsPath, ['busybox', 'nslookup', 'WWW-alias', '127.0.0.11']), new RegExp(epWeb.ip.replace(/\./g, '\\.')));
      assert.match(nsExec(nsPath, ['busybox', 'ping', '-c', '1', '-W', '3', epWeb.ip]), /1 packets received/);
      const files = driver.renderFiles(client, { hostname: 'abc123' });
      assert.match(files.resolvConf, /^nameserver 127\.0\.0\.11$/m);
      assert.match(files.hosts, new RegExp(`^${epClient.ip.replace(/\./g, '\\.')}\tabc123$`, 'm'));
      assert.equal(files.hostname, 'abc123\n');
      // unknown names go to the container's --dns servers (a fake upstream on loopback here)
      const upstream = dgram.createSocket('udp4');
      upstream.on('message', (m, r) => upstream.send(buildResponse(m, parseQuery(m)!, ['192.0.2.99']), r.port, r.address));
      await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
      try {
        const f2 = driver.renderFiles(client, { hostname: 'abc123', dns: [`127.0.0.1:${upstream.address().port}`] });
        assert.match(f2.resolvConf, /^nameserver 127\.0\.0\.11$/m);
        assert.match(await nsExecAsync(nsPath, ['busybox', 'nslookup', 'elsewhere.example', '127.0.0.11']), /192\.0\.2\.99/);
      } finally {
        upstream.close();
      }
    } finally {
      await driver.destroySandbox(web);
      await driver.destroySandbox(client);
      await driver.removeNetwork(n.id);
    }
  });

  test('network create/remove: auto subnet avoids host routes, names are unique, endpoints block removal', async () => {
    const n = await driver.createNetwork({ name: `auto-${tag}` });
    const a = id();
    try {
      assert.match(n.subnet, /^(172\.(19|2\d|3[01])\.0\.0\/16|192\.168\.\d+\.0\/24)$/);
      assert.equal(n.bridge, `br-${n.id.slice(0, 12)}`);
      assert.equal(driver.getNetwork(n.id.slice(0, 6))?.id, n.id);
      await assert.rejects(driver.createNetwork({ name: `auto-${tag}` }), { status: 409 });
      await assert.rejects(driver.createNetwork({ name: `ovl-${tag}`, subnet: n.subnet }), /Pool overlaps/);
      await assert.rejects(driver.removeNetwork('bridge'), { status: 403 });
      await driver.createSandbox(a);
      const ep = await driver.connect(a, n.id, { ip: n.subnet.replace(/0\.0\/16$|0\/24$/, (m) => (m.length > 4 ? '0.77' : '77')) });
      assert.match(ep.ip, /\.77$/);
      await assert.rejects(driver.removeNetwork(n.id), /has active endpoints/);
      await driver.disconnect(a, n.id);
      assert.equal(driver.getSandbox(a)!.endpoints.length, 0);
    } finally {
      await driver.destroySandbox(a);
      await driver.removeNetwork(n.id);
    }
    assert.equal(fs.existsSync(`/sys/class/net/${n.bridge}`), false);
    await assert.rejects(driver.removeNetwork(n.id), { status: 404 });
  });

  test('20 sandboxes created and destroyed leave no veth, netns or rule behind', async () => {
    const ids = Array.from({ length: 20 }, id);
    const base = iptablesLines().length;
    await Promise.all(ids.map(async (c) => {
      await driver.createSandbox(c);
      await driver.connect(c, 'bridge', {});
      await driver.publish(c, [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, proto: 'tcp' }, { hostIp: '', hostPort: 0, containerPort: 53, proto: 'udp' }]);
    }));
    const ips = new Set(ids.map((c) => driver.getSandbox(c)!.endpoints[0]!.ip));
    assert.equal(ips.size, 20, 'no address handed out twice');
    assert.equal(iptablesLines().length, base + 40);
    await Promise.all(ids.map((c) => driver.destroySandbox(c)));
    assert.equal(iptablesLines().length, base);
    assert.deepEqual(fs.readdirSync(driver.netnsDir), []);
    // veths vanish asynchronously with their namespace (NETWORK.md: ~15–25 ms); bounded wait
    for (let i = 0; i < 100 && fs.readdirSync(`/sys/class/net/${bridgeName}/brif`).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(fs.readdirSync(`/sys/class/net/${bridgeName}/brif`), []);
  });

  test('restore after re-creating the driver keeps ports, addresses and rules; cleanupOrphans removes the rest', async () => {
    const keep = id();
    const gone = id();
    const { nsPath } = await driver.createSandbox(keep);
    const ep = await driver.connect(keep, 'bridge', {});
    await driver.createSandbox(gone);
    const epGone = await driver.connect(gone, 'bridge', {});
    const port = await freePort();
    await driver.publish(keep, [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 80, proto: 'tcp' }]);
    await driver.publish(gone, [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, proto: 'tcp' }]);
    const httpd = await startHttpd(nsPath, ep.ip, 'survives');
    await driver.close(); // daemon stop: kernel state stays

    driver = new BridgeNetworkDriver({ stateDir, execRoot, bridgeName, bip, chainPrefix: prefix });
    await driver.init();
    await driver.restore([keep]);
    assert.deepEqual(await driver.cleanupOrphans([keep]), [gone]);
    assert.equal(fs.existsSync(path.join(execRoot, 'netns', gone)), false);
    assert.equal(iptablesLines().filter((l) => l.includes(`${prefix}:${gone}`)).length, 0);
    assert.equal(curl(`http://127.0.0.1:${port}/`), 'survives');
    await assert.rejects(driver.publish(keep, [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 81, proto: 'tcp' }]), /already allocated/);
    const other = id();
    await driver.createSandbox(other);
    const epOther = await driver.connect(other, 'bridge', {});
    assert.notEqual(epOther.ip, ep.ip);
    assert.notEqual(epOther.ip, epGone.ip, 'round-robin: a just-freed address is not reused first');
    await driver.destroySandbox(other);
    await stop(httpd);
    await driver.destroySandbox(keep);
    assert.throws(() => curl(`http://127.0.0.1:${port}/`));
  });
});
