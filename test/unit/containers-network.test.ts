/**
 * A container's network across its lifecycle, through the real ContainersService over the
 * fake network driver (test/fakes/network.ts): the sandbox and endpoints made at start and
 * torn down at exit, published ports, a taken port failing the start with nothing left
 * behind, user networks (aliases, DNS names), `--network none`, and the `network` ps filter.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeEngine, type FakeEngine } from '../fakes/engine.ts';
import { FakeNetwork } from '../fakes/network.ts';

let e: FakeEngine;
let net: FakeNetwork;
beforeEach(async () => { net = new FakeNetwork(); e = await fakeEngine({ network: net }); });
afterEach(async () => { await e.close(); });

type Net = { IPAddress: string; Gateway: string; IPPrefixLen: number; Aliases: string[] | null; DNSNames: string[] | null; NetworkID: string; EndpointID: string };
const settings = (id: string) => e.inspect(id).NetworkSettings as { IPAddress: string; SandboxKey: string; Ports: Record<string, { HostIp: string; HostPort: string }[] | null>; Networks: Record<string, Net> };
async function run(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const { Id } = await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ...body }, name);
  await e.containers.start(Id);
  return Id;
}

test('default bridge: an address at start, connect event before start; gone after the exit, back at the next start', async () => {
  const id = await run('c1');
  let ns = settings(id);
  assert.equal(ns.IPAddress, '172.17.0.2');
  assert.equal(ns.Networks.bridge!.Gateway, '172.17.0.1');
  assert.equal(ns.Networks.bridge!.IPPrefixLen, 16);
  assert.equal(ns.Networks.bridge!.Aliases, null, 'no aliases on the default bridge');
  assert.equal(ns.SandboxKey, `${net.execRoot}/netns/${id}`);
  const order = e.log.map((x) => `${x.Type} ${x.Action}`);
  assert.ok(order.indexOf('network connect') < order.indexOf('container start'));
  await e.containers.stop(id, 10);
  ns = settings(id);
  assert.equal(ns.IPAddress, '');
  assert.equal(ns.SandboxKey, '');
  assert.equal(net.getSandbox(id), undefined);
  assert.ok(e.log.some((x) => x.Type === 'network' && x.Action === 'disconnect' && x.Actor.Attributes.container === id));
  await e.containers.start(id);
  assert.equal(settings(id).IPAddress, '172.17.0.2', 'the address was freed and is handed out again');
});

test('two containers get different addresses', async () => {
  const a = await run('a');
  const b = await run('b');
  assert.notEqual(settings(a).IPAddress, settings(b).IPAddress);
});

test('published ports: a random host port shows in Ports; a taken fixed port fails the start and leaves nothing', async () => {
  const a = await run('a', { ExposedPorts: { '80/tcp': {}, '81/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '81/tcp': [{ HostPort: '' }] } } });
  const ports = settings(a).Ports;
  assert.deepEqual(ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: '8080' }]);
  assert.match(ports['81/tcp']![0]!.HostPort, /^\d+$/);
  const { Id: b } = await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } }, 'b');
  await assert.rejects(e.containers.start(b), { message: /Bind for 0\.0\.0\.0:8080 failed: port is already allocated/ });
  assert.equal(e.inspect(b).State.Status, 'created');
  assert.equal(net.getSandbox(b), undefined, 'the sandbox of the failed start is gone');
  assert.equal(e.runtime.procs.has(b), false);
  assert.equal(e.inspect(a).State.Status, 'running');
  // Once a stops, the port is free for b.
  await e.containers.stop(a, 10);
  await e.containers.start(b);
  assert.deepEqual(settings(b).Ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: '8080' }]);
});

test('a user network: its subnet, the short id among the aliases, DNS names', async () => {
  const n = await net.createNetwork({ name: 'app', subnet: '10.50.0.0/24' });
  const id = await run('web', { HostConfig: { NetworkMode: 'app' }, NetworkingConfig: { EndpointsConfig: { app: { Aliases: ['www'] } } } });
  const ep = settings(id).Networks.app!;
  assert.equal(ep.IPAddress, '10.50.0.2');
  assert.equal(ep.NetworkID, n.id);
  assert.deepEqual(ep.Aliases, ['www', id.slice(0, 12)]);
  assert.deepEqual(ep.DNSNames, ['web', 'www', id.slice(0, 12)]);
  assert.deepEqual(e.containers.list({ all: true, size: false, filters: { network: ['app'] } }).map((c) => c.Id), [id]);
  assert.deepEqual(e.containers.list({ all: true, size: false, filters: { network: ['bridge'] } }), []);
  await assert.rejects(net.removeNetwork('app'), /has active endpoints/);
  await e.containers.kill(id, null);
  await net.removeNetwork('app');
});

test('a network that does not exist fails the start with 404; --network none makes no sandbox', async () => {
  const { Id: bad } = await e.containers.create({ Image: 'busybox', Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'nosuch' } }, 'bad');
  await assert.rejects(e.containers.start(bad), { status: 404, message: 'network nosuch not found' });
  const none = await run('none', { HostConfig: { NetworkMode: 'none' } });
  assert.equal(net.getSandbox(none), undefined);
  assert.ok(!net.calls.includes(`createSandbox ${none}`));
  assert.deepEqual(Object.keys(settings(none).Networks), ['none']);
});

test('rm -f of a running container destroys its sandbox', async () => {
  const id = await run('c1', { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8081' }] } } });
  await e.containers.remove(id, { force: true });
  assert.equal(net.getSandbox(id), undefined);
  // The port is free again.
  await run('c2', { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8081' }] } } });
});
