/**
 * Nothing networking-related outlives its container: no DNAT rule, veth or netns after
 * `rm -f` of 50 publishing containers; and network state survives kill -9 of the daemon with
 * running containers (live-restore), while a container that died during the outage is
 * cleaned up at the restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, httpGet, iptablesLines, startNetDaemon, until, type NetHarness } from './networking-harness.ts';

let h: NetHarness;
const HTTPD = ['busybox', 'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'];

before(async () => { h = await startNetDaemon(); });
after(async () => { await h?.close(); });

async function inspect(name: string): Promise<any> {
  const r = await h.d.api('GET', `/containers/${name}/json`);
  assert.equal(r.status, 200, r.body);
  return r.json;
}

async function answers(port: number): Promise<string> {
  let body = '';
  await until(async () => {
    try {
      const r = await httpGet(`http://127.0.0.1:${port}/`, 2000);
      body = r.body.trim();
      return r.status === 200;
    } catch {
      return false;
    }
  }, `127.0.0.1:${port} to answer`);
  return body;
}

function netnsLeft(): string[] {
  try { return fs.readdirSync(path.join(h.d.execRoot, 'netns')); } catch { return []; }
}

test('rm -f of 50 publishing containers leaves no rule, veth or netns', async () => {
  const subnet = h.subnet();
  await h.ok(['network', 'create', '--subnet', subnet, 'many']);
  const names = Array.from({ length: 50 }, (_, i) => `m${i}`);
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map((n, j) => h.ok(['run', '-d', '--name', n, '-p', '80', ...((i + j) % 2 ? ['--network', 'many'] : []), ...HTTPD])));
  }
  const dnat = iptablesLines(h.prefix).filter((l) => l.includes('--to-destination'));
  assert.equal(dnat.length, 50);
  // every one answers on its own published port
  const sample = await inspect('m7');
  assert.equal(await answers(Number(sample.NetworkSettings.Ports['80/tcp'][0].HostPort)), sample.Id.slice(0, 12));
  assert.equal(Object.keys((await h.d.api('GET', '/networks/many')).json.Containers).length, 25);
  await h.ok(['rm', '-f', ...names], 180_000);
  // The kernel frees a veth asynchronously after its netns goes (tens of ms, longer under load).
  await until(() => h.leftovers().length === 0, 'host veths to be freed', 10_000).catch(() => undefined);
  assert.deepEqual(h.leftovers(), []);
  assert.deepEqual(netnsLeft(), []);
  await h.ok(['network', 'rm', 'many']);
  assert.deepEqual(iptablesLines(h.prefix).filter((l) => /br-[0-9a-f]{12}/.test(l)), []);
});

test('kill -9 of the daemon: running containers keep their network; the dead one is cleaned at restart', async () => {
  await h.ok(['network', 'create', '--subnet', h.subnet(), 'live']);
  const port = await freePort();
  const port2 = await freePort();
  const keep = await h.ok(['run', '-d', '--name', 'keep', '-p', `${port}:80`, ...HTTPD]);
  const dies = await h.ok(['run', '-d', '--name', 'dies', '--network', 'live', '-p', `${port2}:80`, ...HTTPD]);
  await h.ok(['run', '-d', '--name', 'peer', '--network', 'live', 'busybox', 'sleep', '600']);
  assert.equal(await answers(port), keep.slice(0, 12));
  assert.equal(await answers(port2), dies.slice(0, 12));
  const before = await inspect('keep');
  const diesPid = (await inspect('dies')).State.Pid as number;
  const diesVeths = (await inspect('dies')).NetworkSettings.Networks.live.EndpointID;
  assert.ok(diesVeths);

  await h.d.kill9();
  process.kill(diesPid, 'SIGKILL'); // dies while nobody watches
  // the published port keeps working without the daemon (kernel DNAT)
  assert.equal(await answers(port), keep.slice(0, 12));
  await h.d.restart();

  const after = await inspect('keep');
  assert.equal(after.State.Running, true);
  assert.equal(after.NetworkSettings.Networks.bridge.IPAddress, before.NetworkSettings.Networks.bridge.IPAddress);
  assert.deepEqual(after.NetworkSettings.Ports, before.NetworkSettings.Ports);
  assert.equal(await answers(port), keep.slice(0, 12));
  assert.equal(await h.ok(['port', 'keep', '80']), `0.0.0.0:${port}`);
  // embedded DNS is back for the user network
  await h.ok(['run', '--rm', '--network', 'live', 'busybox', 'ping', '-c1', '-W3', 'peer']);
  // the one that died: exited, its rules and veth gone, its port free for others
  await until(async () => (await inspect('dies')).State.Running === false, 'dies to be seen exited');
  assert.deepEqual(iptablesLines(h.prefix).filter((l) => l.includes(dies)), []);
  assert.equal(Object.keys((await h.d.api('GET', '/networks/live')).json.Containers).length, 1);
  const again = await h.ok(['run', '-d', '--name', 'again', '-p', `${port2}:80`, ...HTTPD]);
  assert.equal(await answers(port2), again.slice(0, 12));
  // a taken port is still refused after the restart (the daemon holds it again)
  const clash = await h.d.docker(['run', '-d', '--name', 'clash', '-p', `${port}:80`, ...HTTPD]);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /port is already allocated/);

  await h.ok(['rm', '-f', 'keep', 'dies', 'peer', 'again', 'clash']);
  await h.ok(['network', 'rm', 'live']);
  assert.deepEqual(h.leftovers(), []);
  assert.deepEqual(netnsLeft(), []);
});
