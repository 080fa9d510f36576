/**
 * Network drivers by name, through the real ContainersService over two fake drivers: the
 * sandbox provider (`bridge`, test/fakes/network.ts) and a second driver that owns networks
 * only (`fakevlan`, as macvlan would). A container on networks of both gets one sandbox from
 * the provider; each network is joined and left through the driver that owns it, at start,
 * stop, a failed start and `network connect/disconnect`.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fakeEngine, type FakeEngine } from '../fakes/engine.ts';
import { FakeNetwork } from '../fakes/network.ts';
import type { NetworkInfo } from '../../src/drivers/network/contract.ts';

let e: FakeEngine;
let bridge: FakeNetwork;
let vlan: FakeNetwork;
let app: NetworkInfo;
let lan: NetworkInfo;
beforeEach(async () => {
  bridge = new FakeNetwork();
  vlan = new FakeNetwork({ name: 'fakevlan', sandboxes: false, firstPool: 40 });
  e = await fakeEngine({ network: bridge, networkDrivers: [vlan] });
  app = await bridge.createNetwork({ name: 'app', subnet: '10.50.0.0/24' });
  lan = await vlan.createNetwork({ name: 'lan', subnet: '10.60.0.0/24' });
});
afterEach(async () => { await e.close(); });

type Net = { IPAddress: string; NetworkID: string; Aliases: string[] | null; DNSNames: string[] | null };
const networks = (id: string) => (e.inspect(id).NetworkSettings as { Networks: Record<string, Net>; SandboxKey: string });

async function create(name: string, body: Record<string, unknown> = {}): Promise<string> {
  return (await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ...body }, name)).Id;
}

test('a container on networks of two drivers: one sandbox, each endpoint from its own driver, both left at stop', async () => {
  const id = await create('web', { HostConfig: { NetworkMode: 'app' }, NetworkingConfig: { EndpointsConfig: { app: {}, lan: { Aliases: ['db'] } } } });
  await e.containers.start(id);
  const ns = networks(id);
  assert.equal(ns.Networks.app!.IPAddress, '10.50.0.2');
  assert.equal(ns.Networks.lan!.IPAddress, '10.60.0.2');
  assert.equal(ns.Networks.lan!.NetworkID, lan.id);
  assert.deepEqual(ns.Networks.lan!.DNSNames, ['web', 'db', id.slice(0, 12)]);
  // one netns, made by the provider; the second driver's interface is in it
  assert.deepEqual(bridge.calls.filter((c) => c.startsWith('createSandbox')), [`createSandbox ${id}`]);
  assert.deepEqual(vlan.calls, [`connect ${id} ${lan.id}`]);
  assert.equal(vlan.getSandbox(id)!.nsPath, ns.SandboxKey);
  assert.deepEqual(vlan.getSandbox(id)!.endpoints.map((x) => x.ifname), ['fakevlan0']);
  assert.deepEqual(bridge.getSandbox(id)!.endpoints.map((x) => x.networkId), [app.id]);
  const connects = e.log.filter((x) => x.Type === 'network' && x.Action === 'connect').map((x) => x.Actor.Attributes.type);
  assert.deepEqual(connects, ['bridge', 'fakevlan']);

  await e.containers.stop(id, 10);
  assert.equal(vlan.getSandbox(id), undefined, 'the second driver released its endpoint');
  assert.equal(bridge.getSandbox(id), undefined);
  assert.ok(vlan.calls.indexOf(`disconnect ${id} ${lan.id}`) >= 0);
  assert.ok(e.log.some((x) => x.Type === 'network' && x.Action === 'disconnect' && x.Actor.ID === lan.id));
  // the address is free: the next start gets it again
  await e.containers.start(id);
  assert.equal(networks(id).Networks.lan!.IPAddress, '10.60.0.2');
});

test('network connect/disconnect of a running container go to the driver that owns the network', async () => {
  const id = await create('c1');
  await e.containers.start(id);
  const lan2 = await vlan.createNetwork({ name: 'lan2', subnet: '10.61.0.0/24' });
  await e.containers.connectNetwork(id, 'lan', {});
  await e.containers.connectNetwork(id, lan2.id, {});
  assert.deepEqual(vlan.getSandbox(id)!.endpoints.map((x) => [x.ifname, x.ip]), [['fakevlan0', '10.60.0.2'], ['fakevlan1', '10.61.0.2']]);
  assert.deepEqual(bridge.getSandbox(id)!.endpoints.map((x) => x.ip), ['172.17.0.2']);
  await assert.rejects(e.containers.connectNetwork(id, 'lan', {}), { status: 403, message: 'endpoint with name c1 already exists in network lan' });
  await e.containers.disconnectNetwork(id, 'lan', false);
  assert.deepEqual(vlan.getSandbox(id)!.endpoints.map((x) => x.ip), ['10.61.0.2']);
  assert.deepEqual(Object.keys(networks(id).Networks).sort(), ['bridge', 'lan2']);
  assert.ok(!bridge.calls.some((c) => c.startsWith('connect') && c.endsWith(lan.id)), 'the provider never saw the other driver\'s network');
  await assert.rejects(vlan.removeNetwork('lan2'), /has active endpoints/);
  await e.containers.kill(id, null);
  await e.until(() => vlan.getSandbox(id) === undefined);
  await vlan.removeNetwork('lan2');
});

test('a container only on the second driver\'s network: its address in /etc/hosts, no ports', async () => {
  const id = await create('solo', { HostConfig: { NetworkMode: 'lan', PublishAllPorts: true }, ExposedPorts: { '80/tcp': {} } });
  await e.containers.start(id);
  assert.deepEqual(Object.keys(networks(id).Networks), ['lan']);
  assert.deepEqual(bridge.getSandbox(id)!.endpoints, []);
  const hosts = fs.readFileSync(path.join(e.dataRoot, 'containers', id, 'hosts'), 'utf8');
  assert.match(hosts, /^10\.60\.0\.2\t/m);
  assert.deepEqual((e.inspect(id).NetworkSettings as { Ports: Record<string, unknown> }).Ports, { '80/tcp': null });
});

test('a failed start leaves the second driver\'s network too', async () => {
  const a = await create('a', { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } });
  await e.containers.start(a);
  const b = await create('b', { HostConfig: { NetworkMode: 'lan', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }, ExposedPorts: { '80/tcp': {} }, NetworkingConfig: { EndpointsConfig: { lan: {}, bridge: {} } } });
  await assert.rejects(e.containers.start(b), { message: /port is already allocated/ });
  assert.equal(vlan.getSandbox(b), undefined);
  assert.equal(bridge.getSandbox(b), undefined);
  await vlan.removeNetwork('lan');
});
