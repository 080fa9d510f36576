/**
 * Networking as docker 20.10 answers it (docker-py's api_network_test and compose): swarm
 * endpoints of a node that is in no swarm, IPAM ranges, IPv6, driver options, link-local IPs,
 * aliases (the short id included), CheckDuplicate, force disconnect, links on user networks.
 * A daemon on its own bridge, subnet and chain prefix (networking-harness.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startNetDaemon, type NetHarness } from './networking-harness.ts';

let h: NetHarness;
before(async () => { h = await startNetDaemon(); });
after(async () => { await h?.close(); });

const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

test('swarm endpoints answer like a docker daemon that is in no swarm', async () => {
  const leave = await h.d.api('POST', '/v1.41/swarm/leave?force=1');
  assert.equal(leave.status, 503);
  assert.deepEqual(leave.json, { message: 'This node is not part of a swarm' });
  for (const p of ['/swarm', '/swarm/unlockkey', '/services', '/services/x', '/nodes', '/nodes/x', '/tasks', '/tasks/x', '/secrets', '/secrets/x', '/configs', '/configs/x']) {
    const r = await h.d.api('GET', `/v1.41${p}`);
    assert.equal(r.status, 503, p);
    assert.equal(r.json.message, NOT_MANAGER, p);
  }
  for (const p of ['/services/x', '/nodes/x', '/secrets/x', '/configs/x']) assert.equal((await h.d.api('DELETE', p)).status, 503, p);
  for (const p of ['/services/create', '/secrets/create', '/configs/create', '/swarm/unlock']) {
    assert.equal((await h.d.api('POST', p, {})).status, 503, p);
    assert.deepEqual((await h.d.api('POST', p)).json, { message: 'got EOF while reading request body' }, p);
  }
  const upd = await h.d.api('POST', '/services/x/update?version=abc', {});
  assert.equal(upd.status, 400);
  assert.equal(upd.json.message, `invalid service version 'abc': strconv.ParseUint: parsing "abc": invalid syntax`);
  assert.equal((await h.d.api('POST', '/secrets/x/update', {})).json.message, 'invalid secret version');
  assert.equal((await h.d.api('POST', '/nodes/x/update?version=3', {})).status, 503);
  assert.equal((await h.d.api('GET', '/services/x/logs?stdout=1')).status, 503);
  assert.equal((await h.d.api('POST', '/swarm/init', {})).json.message, 'invalid ListenAddr "": invalid empty address');
  assert.equal((await h.d.api('POST', '/swarm/join', { ListenAddr: '0.0.0.0:2377' })).json.message, 'at least 1 RemoteAddr is required to join');
  const info = await h.d.api('GET', '/info');
  assert.deepEqual(info.json.Swarm, { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null });
  // unknown sub-paths stay 404
  assert.equal((await h.d.api('GET', '/swarm/foo')).status, 404);
});

const SLEEP = ['busybox', 'sleep', '600'];
const JSON_CT = { 'Content-Type': 'application/json' };

async function inspect(name: string): Promise<any> {
  const r = await h.d.api('GET', `/v1.41/containers/${name}/json`);
  assert.equal(r.status, 200, r.body);
  return r.json;
}

async function createNet(body: Record<string, unknown>, version = '1.41'): Promise<{ status: number; json: any }> {
  return h.d.api('POST', `/v${version}/networks/create`, body, JSON_CT);
}

/** A random ULA /64, e.g. fd3a:91c2:7e10::/64 */
function ula(): string {
  const r = () => Math.floor(Math.random() * 0xffff).toString(16);
  return `fd${Math.floor(Math.random() * 0xff).toString(16).padStart(2, '0')}:${r()}:${r()}::`;
}

test('IPAM: --ip-range hands out addresses from the range, aux addresses are skipped, config shown as given', async () => {
  const subnet = h.subnet();
  const base = subnet.replace(/0\/24$/, '');
  const pool = { Subnet: subnet, IPRange: `${base}128/25`, Gateway: `${base}254`, AuxiliaryAddresses: { r: `${base}129` } };
  const c = await createNet({ Name: 'rangenet', IPAM: { Driver: 'default', Config: [pool] } });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const n = (await h.d.api('GET', '/v1.41/networks/rangenet')).json;
  assert.deepEqual(n.IPAM, { Driver: 'default', Options: null, Config: [pool] });
  await h.ok(['run', '-d', '--name', 'r1', '--network', 'rangenet', ...SLEEP]);
  const r1 = await inspect('r1');
  assert.equal(r1.NetworkSettings.Networks.rangenet.IPAddress, `${base}130`);
  assert.equal(r1.NetworkSettings.Networks.rangenet.Gateway, `${base}254`);
  // a range outside the subnet is refused
  const bad = await createNet({ Name: 'badrange', IPAM: { Config: [{ Subnet: subnet.replace(/\.\d+\.0\/24$/, '.1.0/24'), IPRange: '192.0.2.0/25' }] } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /Invalid Address SubPool/);
  await h.ok(['rm', '-f', 'r1']);
  await h.ok(['network', 'rm', 'rangenet']);
  // a gateway inside the range does not move the start: the first address is the range's first host
  const sub2 = h.subnet();
  const b2 = sub2.replace(/0\/24$/, '');
  assert.equal((await createNet({ Name: 'rangenet2', IPAM: { Config: [{ Subnet: sub2, IPRange: `${b2}0/25`, Gateway: `${b2}126` }] } })).status, 201);
  await h.ok(['run', '-d', '--name', 'r2', '--network', 'rangenet2', ...SLEEP]);
  assert.equal((await inspect('r2')).NetworkSettings.Networks.rangenet2.IPAddress, `${b2}1`);
  await h.ok(['rm', '-f', 'r2']);
  await h.ok(['network', 'rm', 'rangenet2']);
});

test('IPv6: EnableIPv6 gives endpoints an address of the client\'s subnet, reachable, in DNS (AAAA), in inspect', async () => {
  const net6 = ula();
  const c = await createNet({ Name: 'v6net', EnableIPv6: true, IPAM: { Config: [{ Subnet: `${net6}1/64`, IPRange: `${net6}/96`, Gateway: `${net6}ffff` }] } });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const n = (await h.d.api('GET', '/v1.41/networks/v6net')).json;
  assert.equal(n.EnableIPv6, true);
  assert.equal(n.IPAM.Config.length, 2, 'an IPv4 pool is picked and shown first');
  assert.deepEqual(n.IPAM.Config[1], { Subnet: `${net6}1/64`, IPRange: `${net6}/96`, Gateway: `${net6}ffff` });
  await h.ok(['run', '-d', '--name', 's6', '--network', 'v6net', ...SLEEP]);
  const s6 = (await inspect('s6')).NetworkSettings.Networks.v6net;
  assert.equal(s6.GlobalIPv6Address, `${net6}1`);
  assert.equal(s6.GlobalIPv6PrefixLen, 64);
  assert.equal(s6.IPv6Gateway, `${net6}ffff`);
  const ping = await h.ok(['run', '--rm', '--network', 'v6net', 'busybox', 'sh', '-c', `ping -6 -c1 -W3 ${net6}1 && nslookup -type=AAAA s6 && ip -6 route`]);
  assert.match(ping, /1 packets received/);
  assert.match(ping, new RegExp(`Address: ${net6.replace(/:/g, ':')}1`));
  assert.match(ping, new RegExp(`default via ${net6}ffff`));
  const members = (await h.d.api('GET', '/v1.41/networks/v6net')).json.Containers;
  assert.equal((Object.values(members) as any[])[0].IPv6Address, `${net6}1/64`);
  await h.ok(['rm', '-f', 's6']);
  await h.ok(['network', 'rm', 'v6net']);
  // an IPv6 pool without EnableIPv6: kept and shown, no IPv6 address (docker 20.10)
  const off = await createNet({ Name: 'v6off', IPAM: { Config: [{ Subnet: `${net6}/64` }] } });
  assert.equal(off.status, 201);
  const cr = await h.d.api('POST', '/v1.41/containers/create?name=s6off', {
    Image: 'busybox', Cmd: SLEEP, HostConfig: { NetworkMode: 'v6off' },
    NetworkingConfig: { EndpointsConfig: { v6off: { IPAMConfig: { IPv6Address: `${net6}f00d` } } } },
  }, JSON_CT);
  assert.equal(cr.status, 201, cr.body);
  await h.ok(['start', 's6off']);
  const ep = (await inspect('s6off')).NetworkSettings.Networks.v6off;
  assert.equal(ep.IPAMConfig.IPv6Address, `${net6}f00d`);
  assert.equal(ep.GlobalIPv6Address, '');
  assert.equal((await createNet({ Name: 'v6none', EnableIPv6: true })).json.message, 'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
  assert.equal((await createNet({ Name: 'v6two', IPAM: { Config: [{ Subnet: 'fd00:1::/64' }, { Subnet: 'fd00:2::/64' }] } })).json.message, "bridge driver doesn't support multiple subnets");
  await h.ok(['rm', '-f', 's6off']);
  await h.ok(['network', 'rm', 'v6off']);
});

test('driver options: bridge name and MTU applied and shown, enable_icc=false isolates containers', async () => {
  const br = `wtc${Math.random().toString(16).slice(2, 8)}`;
  await h.ok(['network', 'create', '-o', `com.docker.network.bridge.name=${br}`, '-o', 'com.docker.network.driver.mtu=1400',
    '-o', 'com.docker.network.bridge.enable_icc=false', '-o', 'x.y=z', 'optnet']);
  const n = (await h.d.api('GET', '/networks/optnet')).json;
  assert.deepEqual(n.Options, { 'com.docker.network.bridge.name': br, 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.enable_icc': 'false', 'x.y': 'z' });
  assert.ok(fs.existsSync(`/sys/class/net/${br}`), 'the bridge has the asked name');
  await h.ok(['run', '-d', '--name', 'icc1', '--network', 'optnet', ...SLEEP]);
  const link = await h.ok(['run', '--rm', '--network', 'optnet', 'busybox', 'ip', 'link', 'show', 'eth0']);
  assert.match(link, /mtu 1400/);
  if (fs.readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim() === '1') {
    const ping = await h.d.docker(['run', '--rm', '--network', 'optnet', 'busybox', 'ping', '-c1', '-W2', 'icc1']);
    assert.notEqual(ping.code, 0, 'icc=false: no traffic between containers of the bridge');
  }
  const dup = await createNet({ Name: 'optnet2', Options: { 'com.docker.network.bridge.name': br } });
  assert.equal(dup.status, 403);
  assert.match(dup.json.message, /networks have same bridge name/);
  const mtu = await createNet({ Name: 'optnet3', Options: { 'com.docker.network.driver.mtu': 'abc' } });
  assert.equal(mtu.status, 400);
  assert.equal(mtu.json.message, 'failed to parse com.docker.network.driver.mtu value: abc (strconv.Atoi: parsing "abc": invalid syntax)');
  const host = await createNet({ Name: 'optnet4', Options: { 'com.docker.network.bridge.name': 'lo' } });
  assert.equal(host.status, 409, 'a host interface is never adopted (or deleted on rm)');
  await h.ok(['rm', '-f', 'icc1']);
  await h.ok(['network', 'rm', 'optnet']);
  assert.ok(!fs.existsSync(`/sys/class/net/${br}`));
});

test('endpoint settings from create are shown before start; link-local IPs, DriverOpts, Links kept', async () => {
  await h.ok(['network', 'create', 'epnet']);
  const cr = await h.d.api('POST', '/v1.41/containers/create?name=ep1', {
    Image: 'busybox', Cmd: SLEEP, HostConfig: { NetworkMode: 'epnet' },
    NetworkingConfig: { EndpointsConfig: { epnet: { Aliases: ['web'], Links: ['ep2:bar'], DriverOpts: { 'com.example': 'on' }, IPAMConfig: { LinkLocalIPs: ['169.254.8.8'] } } } },
  }, JSON_CT);
  assert.equal(cr.status, 201, cr.body);
  const created = (await inspect('ep1')).NetworkSettings.Networks;
  assert.deepEqual(Object.keys(created), ['epnet']);
  assert.deepEqual(created.epnet.Aliases, ['web']);
  assert.deepEqual(created.epnet.Links, ['ep2:bar']);
  assert.deepEqual(created.epnet.DriverOpts, { 'com.example': 'on' });
  assert.deepEqual(created.epnet.IPAMConfig, { LinkLocalIPs: ['169.254.8.8'] });
  assert.equal(created.epnet.NetworkID, '');
  await h.ok(['start', 'ep1']);
  const id = (await inspect('ep1')).Id as string;
  const started = (await inspect('ep1')).NetworkSettings.Networks.epnet;
  assert.deepEqual(started.Aliases, ['web', id.slice(0, 12)], 'docker appends the short id on user networks');
  assert.deepEqual(started.Links, ['ep2:bar']);
  assert.deepEqual(started.IPAMConfig.LinkLocalIPs, ['169.254.8.8']);
  const addrs = await h.ok(['exec', 'ep1', 'ip', '-4', 'addr', 'show', 'eth0']);
  assert.match(addrs, /inet 169\.254\.8\.8\/16/);
  // the link alias resolves once its container exists, for ep1 only
  await h.ok(['run', '-d', '--name', 'ep2', '--network', 'epnet', ...SLEEP]);
  const ep2ip = (await inspect('ep2')).NetworkSettings.Networks.epnet.IPAddress;
  assert.match(await h.ok(['exec', 'ep1', 'nslookup', 'bar']), new RegExp(`Address: ${ep2ip.replace(/\./g, '\\.')}`));
  const other = await h.d.docker(['run', '--rm', '--network', 'epnet', 'busybox', 'nslookup', 'bar']);
  assert.doesNotMatch(other.stdout, new RegExp(ep2ip.replace(/\./g, '\\.')));
  // the default bridge: no aliases, no short id
  await h.ok(['run', '-d', '--name', 'ep3', ...SLEEP]);
  assert.equal((await inspect('ep3')).NetworkSettings.Networks.bridge.Aliases, null);
  // stopped: the request and the aliases stay, the addresses go
  await h.ok(['stop', '-t', '0', 'ep1']);
  const stopped = (await inspect('ep1')).NetworkSettings.Networks.epnet;
  assert.deepEqual(stopped.Aliases, ['web', id.slice(0, 12)]);
  assert.equal(stopped.IPAddress, '');
  const bad = await h.d.api('POST', '/v1.41/containers/create?name=ep4', { Image: 'busybox', HostConfig: { NetworkMode: 'epnet' }, NetworkingConfig: { EndpointsConfig: { epnet: { IPAMConfig: { IPv4Address: 'bogus' } } } } }, JSON_CT);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'invalid IPv4 address: bogus');
  await h.ok(['rm', '-f', 'ep1', 'ep2', 'ep3']);
  await h.ok(['network', 'rm', 'epnet']);
});

test('short id and name resolve on user networks; connect with aliases; DNS survives disconnect + reconnect', async () => {
  await h.ok(['network', 'create', 'dnsnet2']);
  const id = await h.ok(['run', '-d', '--name', 'target', '--network', 'dnsnet2', ...SLEEP]);
  const ip = (await inspect('target')).NetworkSettings.Networks.dnsnet2.IPAddress;
  const out = await h.ok(['run', '--rm', '--network', 'dnsnet2', 'busybox', 'sh', '-c', `nslookup target && nslookup ${id.slice(0, 12)}`]);
  assert.equal(out.split(ip).length - 1, 2, out);
  await h.ok(['run', '-d', '--name', 'client', '--network', 'dnsnet2', ...SLEEP]);
  await h.ok(['network', 'disconnect', 'dnsnet2', 'client']);
  const con = await h.d.api('POST', '/v1.41/networks/dnsnet2/connect', { Container: 'client', EndpointConfig: { Aliases: ['cli'] } }, JSON_CT);
  assert.equal(con.status, 200, con.body);
  const cid = (await inspect('client')).Id as string;
  assert.deepEqual((await inspect('client')).NetworkSettings.Networks.dnsnet2.Aliases, ['cli', cid.slice(0, 12)]);
  assert.match(await h.ok(['exec', 'client', 'nslookup', 'target']), new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));
  const cip = (await inspect('client')).NetworkSettings.Networks.dnsnet2.IPAddress;
  assert.match(await h.ok(['exec', 'target', 'nslookup', 'cli']), new RegExp(`Address: ${cip.replace(/\./g, '\\.')}`));
  // force does not forgive a container that is not connected
  await h.ok(['network', 'disconnect', '-f', 'dnsnet2', 'client']);
  const again = await h.d.api('POST', '/v1.41/networks/dnsnet2/disconnect', { Container: 'client', Force: true }, JSON_CT);
  assert.equal(again.status, 500);
  assert.equal(again.json.message, `container ${cid} is not connected to network dnsnet2`);
  await h.ok(['rm', '-f', 'target', 'client']);
  await h.ok(['network', 'rm', 'dnsnet2']);
});

test('CheckDuplicate: names may repeat before API 1.44 unless asked; ambiguous names are refused', async () => {
  assert.equal((await createNet({ Name: 'twin' })).status, 201);
  const first = (await h.d.api('GET', '/networks/twin')).json.Id;
  const dup = await createNet({ Name: 'twin', CheckDuplicate: false });
  assert.equal(dup.status, 201);
  assert.equal(dup.json.Warning, `Network with name twin (id : ${first}) already exists`);
  assert.equal((await createNet({ Name: 'twin', CheckDuplicate: true })).status, 409);
  assert.equal((await createNet({ Name: 'twin' }, '1.44')).json.message, 'network with name twin already exists');
  const ins = await h.d.api('GET', '/v1.41/networks/twin');
  assert.equal(ins.status, 400);
  assert.equal(ins.json.message, '2 matches found based on name: network twin is ambiguous');
  const rm = await h.d.api('DELETE', '/v1.41/networks/twin');
  assert.equal(rm.json.message, 'network twin is ambiguous (2 matches found based on name)');
  const pre = await createNet({ Name: 'host' });
  assert.equal(pre.status, 403);
  assert.equal(pre.json.message, 'operation is not permitted on predefined host network ');
  assert.equal((await h.d.api('DELETE', `/networks/${first}`)).status, 204);
  assert.equal((await h.d.api('DELETE', '/networks/twin')).status, 204);
});

test('models run --network: the created container already lists its network', async () => {
  await h.ok(['network', 'create', 'runnet']);
  // docker: a static address needs a subnet the client configured
  const fixed = await h.d.docker(['run', '--rm', '--network', 'runnet', '--ip', '172.31.255.7', 'busybox', 'true']);
  assert.notEqual(fixed.code, 0);
  assert.match(fixed.stderr, /user specified IP address is supported only when connecting to networks with user configured subnets/);
  const cr = await h.d.api('POST', '/v1.41/containers/create?name=rn', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'runnet' } }, JSON_CT);
  assert.equal(cr.status, 201);
  assert.deepEqual(Object.keys((await inspect('rn')).NetworkSettings.Networks), ['runnet']);
  await h.ok(['rm', 'rn']);
  await h.ok(['network', 'rm', 'runnet']);
});
