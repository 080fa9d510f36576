/**
 * Networking as docker 20.10 answers it (docker-py's api_network_test and compose): swarm
 * endpoints of a node that is in no swarm, IPAM ranges, IPv6, driver options, link-local IPs,
 * aliases (the short id included), CheckDuplicate, force disconnect, links on user networks.
 * A daemon on its own bridge, subnet and chain prefix (networking-harness.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
