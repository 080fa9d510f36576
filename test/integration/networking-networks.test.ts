/**
 * The networks API and container networking with the real docker CLI: network create/ls/
 * inspect/rm/prune/connect/disconnect with docker's errors and events; containers reaching each
 * other by IP on the default bridge and by name/alias on a user network (embedded DNS);
 * `--internal` without an outbound route; --dns/--dns-search/--add-host/--ip/--mac-address;
 * --network host / none / container:NAME.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { startNetDaemon, type NetHarness } from './networking-harness.ts';

let h: NetHarness;
const SLEEP = ['busybox', 'sleep', '600'];

before(async () => { h = await startNetDaemon(); });
after(async () => { await h?.close(); });

async function inspect(name: string): Promise<any> {
  const r = await h.d.api('GET', `/containers/${name}/json`);
  assert.equal(r.status, 200, r.body);
  return r.json;
}

test('network ls lists bridge, host and none; inspect shows docker\'s shape', async () => {
  const names = (await h.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'])).split('\n').sort();
  assert.deepEqual(names, ['bridge bridge local', 'host host local', 'none null local']);
  const r = await h.d.api('GET', '/networks/bridge');
  assert.equal(r.status, 200);
  const n = r.json;
  assert.equal(n.Name, 'bridge');
  assert.match(n.Id, /^[0-9a-f]{64}$/);
  assert.equal(n.Scope, 'local');
  assert.equal(n.Driver, 'bridge');
  assert.equal(n.EnableIPv6, false);
  assert.deepEqual(n.IPAM.Config, [{ Subnet: h.gateway.replace(/1$/, '0/24'), Gateway: h.gateway }]);
  assert.equal(n.IPAM.Driver, 'default');
  assert.equal(n.Options['com.docker.network.bridge.name'], h.bridge);
  for (const k of ['Internal', 'Attachable', 'Ingress', 'ConfigOnly']) assert.equal(n[k], false, k);
  assert.deepEqual(n.ConfigFrom, { Network: '' });
  assert.deepEqual(n.Containers, {});
  assert.deepEqual(n.Labels, {});
  const host = (await h.d.api('GET', '/networks/host')).json;
  assert.equal(host.Driver, 'host');
  assert.equal((await h.d.api('GET', `/networks/${host.Id.slice(0, 12)}`)).json.Name, 'host');
  const none = (await h.d.api('GET', '/networks/none')).json;
  assert.equal(none.Driver, 'null');
  assert.equal((await h.d.api('GET', '/networks/nope')).status, 404);
  assert.equal((await h.d.api('GET', '/networks?filters=' + encodeURIComponent('{"bogus":["x"]}'))).status, 400);
});

test('network create/inspect/ls filters/rm with docker\'s errors and events', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const subnet = h.subnet();
  const gw = subnet.replace(/0\/24$/, '254');
  const id = await h.ok(['network', 'create', '-d', 'bridge', '--subnet', subnet, '--gateway', gw, '--label', 'team=a', 'apinet']);
  assert.match(id, /^[0-9a-f]{64}$/);
  const n = (await h.d.api('GET', '/networks/apinet')).json;
  assert.equal(n.Id, id);
  assert.deepEqual(n.IPAM.Config, [{ Subnet: subnet, Gateway: gw }]);
  assert.deepEqual(n.Labels, { team: 'a' });
  assert.equal(n.Internal, false);

  const dup = await h.d.docker(['network', 'create', 'apinet']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /network with name apinet already exists/);
  const dupApi = await h.d.api('POST', '/networks/create', { Name: 'apinet' });
  assert.equal(dupApi.status, 409);
  // docker (moby's TestAPICreateDeletePredefinedNetworks): 403 for a predefined name
  assert.equal((await h.d.api('POST', '/networks/create', { Name: 'host' })).status, 403);
  const bad = await h.d.api('POST', '/networks/create', { Name: 'badnet', IPAM: { Config: [{ Subnet: '300.1.1.0/24' }] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'invalid CIDR address: 300.1.1.0/24');
  assert.equal((await h.d.api('POST', '/networks/create', { Name: 'x1', Driver: 'nosuch' })).status, 404);

  assert.equal(await h.ok(['network', 'ls', '-q', '-f', 'label=team=a']), id.slice(0, 12));
  assert.equal(await h.ok(['network', 'ls', '--format', '{{.Name}}', '-f', 'name=apin']), 'apinet');
  assert.equal(await h.ok(['network', 'ls', '--format', '{{.Name}}', '-f', `id=${id.slice(0, 10)}`]), 'apinet');
  assert.equal(await h.ok(['network', 'ls', '--format', '{{.Name}}', '-f', 'type=custom']), 'apinet');
  assert.equal(await h.ok(['network', 'ls', '--format', '{{.Name}}', '-f', 'dangling=true']), 'apinet');
  assert.equal((await h.ok(['network', 'ls', '--format', '{{.Name}}', '-f', 'type=builtin'])).split('\n').length, 3);

  const rmBridge = await h.d.api('DELETE', '/networks/bridge');
  assert.equal(rmBridge.status, 403);
  assert.equal(rmBridge.json.message, 'bridge is a pre-defined network and cannot be removed');
  assert.equal((await h.d.api('DELETE', '/networks/none')).status, 403);

  // in use by a running container: 403, removable once the container is gone
  await h.ok(['run', '-d', '--name', 'user1', '--network', 'apinet', ...SLEEP]);
  const inUse = await h.d.api('DELETE', '/networks/apinet');
  assert.equal(inUse.status, 403);
  assert.match(inUse.json.message, /has active endpoints/);
  const withC = (await h.d.api('GET', '/networks/apinet')).json;
  const entries = Object.entries(withC.Containers) as [string, any][];
  assert.equal(entries.length, 1);
  const c = await inspect('user1');
  assert.equal(entries[0]![0], c.Id);
  assert.equal(entries[0]![1].Name, 'user1');
  assert.equal(entries[0]![1].IPv4Address, `${c.NetworkSettings.Networks.apinet.IPAddress}/24`);
  assert.equal(entries[0]![1].EndpointID, c.NetworkSettings.Networks.apinet.EndpointID);
  assert.equal(entries[0]![1].MacAddress, c.NetworkSettings.Networks.apinet.MacAddress);
  await h.ok(['rm', '-f', 'user1']);
  assert.equal(await h.ok(['network', 'rm', 'apinet']), 'apinet');
  assert.equal((await h.d.api('DELETE', '/networks/apinet')).status, 404);

  const ev = await h.ok(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '-f', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
  const actions = ev.split('\n');
  for (const want of ['create apinet', 'connect apinet', 'disconnect apinet', 'destroy apinet']) assert.ok(actions.includes(want), `${want} in ${ev}`);
});

test('network prune removes unused user networks only', async () => {
  await h.ok(['network', 'create', '--subnet', h.subnet(), 'prune-unused']);
  await h.ok(['network', 'create', '--subnet', h.subnet(), 'prune-used']);
  await h.ok(['network', 'create', '--subnet', h.subnet(), '--label', 'keep=1', 'prune-kept']);
  await h.ok(['run', '-d', '--name', 'pruneuser', '--network', 'prune-used', ...SLEEP]);
  const r = await h.d.api('POST', '/networks/prune?filters=' + encodeURIComponent(JSON.stringify({ 'label!': ['keep'] })));
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { NetworksDeleted: ['prune-unused'] });
  await h.ok(['rm', '-f', 'pruneuser']);
  assert.deepEqual((await h.ok(['network', 'prune', '-f'])).split('\n').sort(), ['Deleted Networks:', 'prune-kept', 'prune-used']);
  assert.equal((await h.ok(['network', 'ls', '-q'])).split('\n').length, 3);
});

test('default bridge: two containers ping each other by IP', async () => {
  await h.ok(['run', '-d', '--name', 'b1', ...SLEEP]);
  await h.ok(['run', '-d', '--name', 'b2', ...SLEEP]);
  const ip1 = (await inspect('b1')).NetworkSettings.Networks.bridge.IPAddress;
  const ip2 = (await inspect('b2')).NetworkSettings.Networks.bridge.IPAddress;
  assert.notEqual(ip1, ip2);
  const ns2 = (await inspect('b2')).NetworkSettings.SandboxKey;
  const ns1 = (await inspect('b1')).NetworkSettings.SandboxKey;
  // from inside each container's network namespace
  await h.ok(['run', '--rm', '--network', 'container:b1', 'busybox', 'ping', '-c1', '-W3', ip2]);
  await h.ok(['run', '--rm', '--network', 'container:b2', 'busybox', 'ping', '-c1', '-W3', ip1]);
  assert.ok(ns1 && ns2);
  // the default bridge has no embedded DNS: names do not resolve
  const byName = await h.d.docker(['run', '--rm', 'busybox', 'ping', '-c1', '-W2', 'b1']);
  assert.notEqual(byName.code, 0);
  await h.ok(['rm', '-f', 'b1', 'b2']);
});

test('user network: containers reach each other by name and alias; connect/disconnect a running container', async () => {
  await h.ok(['network', 'create', '--subnet', h.subnet(), 'dnsnet']);
  await h.ok(['run', '-d', '--name', 'srv', '--network', 'dnsnet', '--network-alias', 'db', ...SLEEP]);
  const srvIp = (await inspect('srv')).NetworkSettings.Networks.dnsnet.IPAddress;
  for (const name of ['srv', 'db', (await inspect('srv')).Id.slice(0, 12)]) {
    const out = await h.ok(['run', '--rm', '--network', 'dnsnet', 'busybox', 'ping', '-c1', '-W3', name]);
    assert.match(out, new RegExp(`PING ${name} \\(${srvIp.replace(/\./g, '\\.')}\\)`));
  }
  // a container started on the default bridge joins dnsnet while running
  await h.ok(['run', '-d', '--name', 'late', ...SLEEP]);
  await h.ok(['network', 'connect', '--alias', 'lateone', 'dnsnet', 'late']);
  const late = await inspect('late');
  assert.deepEqual(Object.keys(late.NetworkSettings.Networks).sort(), ['bridge', 'dnsnet']);
  const lateIp = late.NetworkSettings.Networks.dnsnet.IPAddress;
  assert.ok(lateIp);
  // docker appends the short id to the aliases of user networks (reference dockerd 20.10)
  assert.deepEqual(late.NetworkSettings.Networks.dnsnet.Aliases, ['lateone', late.Id.slice(0, 12)]);
  await h.ok(['run', '--rm', '--network', 'container:srv', 'busybox', 'ping', '-c1', '-W3', 'lateone']);
  await h.ok(['run', '--rm', '--network', 'container:late', 'busybox', 'ping', '-c1', '-W3', 'srv']);
  const conflict = await h.d.docker(['network', 'connect', 'dnsnet', 'late']);
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /endpoint with name late already exists in network dnsnet/);
  await h.ok(['network', 'disconnect', 'dnsnet', 'late']);
  assert.deepEqual(Object.keys((await inspect('late')).NetworkSettings.Networks), ['bridge']);
  const gone = await h.d.docker(['run', '--rm', '--network', 'dnsnet', 'busybox', 'ping', '-c1', '-W2', 'lateone']);
  assert.notEqual(gone.code, 0);
  // leaving the NetworkMode network (bridge) also sticks across a restart
  await h.ok(['network', 'connect', 'dnsnet', 'late']);
  await h.ok(['network', 'disconnect', 'bridge', 'late']);
  assert.deepEqual(Object.keys((await inspect('late')).NetworkSettings.Networks), ['dnsnet']);
  await h.ok(['restart', '-t', '0', 'late']);
  assert.deepEqual(Object.keys((await inspect('late')).NetworkSettings.Networks), ['dnsnet']);
  await h.ok(['run', '--rm', '--network', 'dnsnet', 'busybox', 'ping', '-c1', '-W3', 'late']);
  const notIn = await h.d.docker(['network', 'disconnect', 'bridge', 'late']);
  assert.notEqual(notIn.code, 0);
  assert.match(notIn.stderr, /is not connected to network bridge/);

  // a stopped container: connect is recorded and applied at the next start
  await h.ok(['create', '--name', 'cold', ...SLEEP]);
  await h.ok(['network', 'connect', '--alias', 'coldone', 'dnsnet', 'cold']);
  await h.ok(['start', 'cold']);
  const cold = await inspect('cold');
  assert.deepEqual(Object.keys(cold.NetworkSettings.Networks).sort(), ['bridge', 'dnsnet']);
  await h.ok(['run', '--rm', '--network', 'dnsnet', 'busybox', 'ping', '-c1', '-W3', 'coldone']);
  // and stays connected across a restart
  await h.ok(['restart', '-t', '0', 'cold']);
  assert.deepEqual(Object.keys((await inspect('cold')).NetworkSettings.Networks).sort(), ['bridge', 'dnsnet']);
  await h.ok(['rm', '-f', 'srv', 'late', 'cold']);
  await h.ok(['network', 'rm', 'dnsnet']);
});

test('--internal networks have no outbound route', async () => {
  await h.ok(['network', 'create', '--internal', '--subnet', h.subnet(), 'intnet']);
  await h.ok(['network', 'create', '--subnet', h.subnet(), 'extnet']);
  assert.equal((await h.d.api('GET', '/networks/intnet')).json.Internal, true);
  // The default bridge's gateway is a host address outside both networks.
  const out = await h.ok(['run', '--rm', '--network', 'extnet', 'busybox', 'ping', '-c1', '-W3', h.gateway]);
  assert.match(out, /1 packets received/);
  const blocked = await h.d.docker(['run', '--rm', '--network', 'intnet', 'busybox', 'ping', '-c1', '-W2', h.gateway]);
  assert.notEqual(blocked.code, 0);
  const routes = await h.ok(['run', '--rm', '--network', 'intnet', 'busybox', 'ip', 'route']);
  assert.doesNotMatch(routes, /default/);
  // containers on the internal network still reach each other
  await h.ok(['run', '-d', '--name', 'in1', '--network', 'intnet', ...SLEEP]);
  await h.ok(['run', '--rm', '--network', 'intnet', 'busybox', 'ping', '-c1', '-W3', 'in1']);
  await h.ok(['rm', '-f', 'in1']);
  await h.ok(['network', 'rm', 'intnet', 'extnet']);
});

test('--dns, --dns-search, --add-host, --ip, --mac-address', async () => {
  const subnet = h.subnet();
  const ip = subnet.replace(/0\/24$/, '77');
  await h.ok(['network', 'create', '--subnet', subnet, 'optnet']);
  const id = await h.ok(['run', '-d', '--name', 'opts', '--network', 'optnet', '--ip', ip, '--mac-address', '02:42:ac:11:99:01',
    '--dns', '10.9.9.9', '--dns-search', 'example.test', '--add-host', 'myhost:10.1.2.3', ...SLEEP]);
  const c = await inspect('opts');
  assert.equal(c.NetworkSettings.Networks.optnet.IPAddress, ip);
  assert.equal(c.NetworkSettings.Networks.optnet.MacAddress, '02:42:ac:11:99:01');
  const files = await h.ok(['run', '--rm', '--network', 'container:opts', '-v', `${h.d.dataRoot}/containers/${id}:/cfg:ro`, 'busybox', 'cat', '/cfg/resolv.conf', '/cfg/hosts']);
  assert.match(files, /search example\.test/);
  assert.match(files, /10\.1\.2\.3\s+myhost/);
  // user networks: the embedded DNS in resolv.conf, --dns becomes its upstream
  assert.match(files, /nameserver 127\.0\.0\.11/);
  const link = await h.ok(['run', '--rm', '--network', 'container:opts', 'busybox', 'ip', 'link', 'show', 'eth0']);
  assert.match(link, /02:42:ac:11:99:01/);
  const taken = await h.d.docker(['run', '-d', '--name', 'opts2', '--network', 'optnet', '--ip', ip, ...SLEEP]);
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /Address already in use/);

  // default bridge: --dns goes straight into resolv.conf
  const plain = await h.ok(['run', '--rm', '--dns', '10.9.9.8', '--dns-search', 'a.test', '--add-host', 'h2:10.4.4.4', 'busybox', 'cat', '/etc/resolv.conf', '/etc/hosts']);
  assert.match(plain, /nameserver 10\.9\.9\.8/);
  assert.match(plain, /search a\.test/);
  assert.match(plain, /10\.4\.4\.4\s+h2/);
  await h.ok(['rm', '-f', 'opts', 'opts2']);
  await h.ok(['network', 'rm', 'optnet']);
});

test('--network none, host and container:NAME', async () => {
  const none = await h.ok(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
  assert.deepEqual(none.split('\n').map((l) => l.split(': ')[1]), ['lo']);
  const host = await h.ok(['run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', 'hostname; ip -o link']);
  assert.equal(host.split('\n')[0], os.hostname());
  assert.match(host, new RegExp(`: ${h.bridge}:`));
  await h.ok(['run', '-d', '--name', 'hostc', '--network', 'host', ...SLEEP]);
  const hostNet = (await h.d.api('GET', '/networks/host')).json;
  assert.deepEqual(Object.values(hostNet.Containers).map((x: any) => x.Name), ['hostc']);
  const cn = await h.d.docker(['network', 'connect', 'bridge', 'hostc']);
  assert.notEqual(cn.code, 0);
  await h.ok(['run', '-d', '--name', 'owner', ...SLEEP]);
  const ownerIp = (await inspect('owner')).NetworkSettings.Networks.bridge.IPAddress;
  const shared = await h.ok(['run', '--rm', '--network', 'container:owner', 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.match(shared, new RegExp(`inet ${ownerIp.replace(/\./g, '\\.')}/24`));
  await h.ok(['rm', '-f', 'hostc', 'owner']);
  assert.deepEqual(h.leftovers(), []);
});
