/**
 * The driver-independent part of the NetworkDriver contract (src/drivers/network/contract.ts):
 * networks (default, create, lookup, conflicts, removal), sandboxes and endpoints (addresses
 * from the subnet, static addresses, connect/disconnect errors), published ports (all or
 * nothing, a taken port refused with docker's text, freed by unpublish) and the /etc files.
 * Run against the bridge driver (network-contract.test.ts, root, a private bridge and chain
 * prefix) and the engine's fake. Traffic, DNS, iptables and restore stay in network-bridge.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { NetworkDriver } from '../../src/drivers/network/contract.ts';

export interface NetworkSubject {
  readonly driver: NetworkDriver;
  /** A /24 no other network (or host route) uses, as `a.b.c.0/24`. */
  freeSubnet(): string;
  cleanup(): Promise<void>;
}

const cid = () => crypto.randomBytes(32).toString('hex');

export function networkContract(name: string, setup: () => Promise<NetworkSubject>): void {
  describe(`network driver contract: ${name}`, () => {
    let s: NetworkSubject;
    let d: NetworkDriver;
    const tag = crypto.randomBytes(3).toString('hex');
    before(async () => { s = await setup(); d = s.driver; });
    after(async () => { await s.cleanup(); });

    test('the default network; lookup by name, id and unique prefix', () => {
      const b = d.getNetwork('bridge')!;
      assert.ok(b && b.isDefault && b.driver === 'bridge');
      assert.match(b.id, /^[0-9a-f]{64}$/);
      assert.equal(d.getNetwork(b.id)?.id, b.id);
      assert.equal(d.getNetwork(b.id.slice(0, 12))?.id, b.id);
      assert.ok(d.listNetworks().some((n) => n.id === b.id));
      assert.equal(d.getNetwork(`nosuch-${tag}`), undefined);
    });

    test('create and remove a network: gateway, name conflict, overlap, default and in-use refusals', async () => {
      const subnet = s.freeSubnet();
      const n = await d.createNetwork({ name: `c-${tag}`, subnet, labels: { a: 'b' } });
      const gw = subnet.replace(/0\/24$/, '1');
      const a = cid();
      try {
        assert.deepEqual([n.name, n.subnet, n.gateway, n.isDefault, n.internal, n.labels], [`c-${tag}`, subnet, gw, false, false, { a: 'b' }]);
        assert.equal(d.getNetwork(`c-${tag}`)?.id, n.id);
        await assert.rejects(d.createNetwork({ name: `c-${tag}` }), { status: 409, message: `network with name c-${tag} already exists` });
        await assert.rejects(d.createNetwork({ name: `o-${tag}`, subnet }), { status: 403, message: 'Pool overlaps with other one on this address space' });
        await assert.rejects(d.removeNetwork('bridge'), { status: 403, message: 'bridge is a pre-defined network and cannot be removed' });
        await d.createSandbox(a);
        await d.connect(a, n.id, {});
        await assert.rejects(d.removeNetwork(n.id), { status: 403, message: `error while removing network: network c-${tag} id ${n.id} has active endpoints` });
      } finally {
        await d.destroySandbox(a);
        await d.removeNetwork(n.id);
      }
      assert.equal(d.getNetwork(n.id), undefined);
      await assert.rejects(d.removeNetwork(n.id), { status: 404 });
    });

    test('sandboxes and endpoints: addresses from the subnet, a static one, errors, teardown', async () => {
      const subnet = s.freeSubnet();
      const n = await d.createNetwork({ name: `e-${tag}`, subnet });
      const [a, b] = [cid(), cid()];
      try {
        const { nsPath } = await d.createSandbox(a);
        assert.ok(nsPath.endsWith(a));
        await assert.rejects(d.createSandbox(a), { status: 409 });
        await d.createSandbox(b);
        const ea = await d.connect(a, n.id, { aliases: ['x'] });
        const eb = await d.connect(b, n.name, { ip: subnet.replace(/0\/24$/, '77') });
        assert.equal(eb.ip, subnet.replace(/0\/24$/, '77'));
        assert.equal(ea.ip.split('.').slice(0, 3).join('.'), subnet.split('.').slice(0, 3).join('.'));
        assert.notEqual(ea.ip, eb.ip);
        assert.notEqual(ea.ip, n.gateway);
        assert.deepEqual([ea.prefixLen, ea.gateway, ea.networkId], [24, n.gateway, n.id]);
        assert.match(ea.endpointId, /^[0-9a-f]{64}$/);
        assert.match(ea.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        await assert.rejects(d.connect(a, n.id, {}), { status: 409 });
        await assert.rejects(d.connect(cid(), n.id, {}), { status: 404 });
        assert.deepEqual(d.getSandbox(a)!.endpoints.map((e) => e.ip), [ea.ip]);
        const files = d.renderFiles(a, { hostname: 'h1', extraHosts: ['extra:10.9.9.9'] });
        assert.equal(files.hostname, 'h1\n');
        assert.match(files.hosts, new RegExp(`^${ea.ip.replace(/\./g, '\\.')}\\s+h1`, 'm'));
        assert.match(files.hosts, /^10\.9\.9\.9\s+extra$/m);
        assert.match(files.resolvConf, /^nameserver /m);
        await d.disconnect(a, n.id);
        assert.equal(d.getSandbox(a)!.endpoints.length, 0);
        await assert.rejects(d.disconnect(a, n.id), { status: 404 });
      } finally {
        await d.destroySandbox(a);
        await d.destroySandbox(a);
        await d.destroySandbox(b);
        await d.removeNetwork(n.id);
      }
      assert.equal(d.getSandbox(a), undefined);
    });

    test('published ports: a random host port, a taken one refused with nothing left bound, unpublish frees them', async () => {
      const [a, b] = [cid(), cid()];
      try {
        await d.createSandbox(a);
        await d.connect(a, 'bridge', {});
        await d.createSandbox(b);
        await d.connect(b, 'bridge', {});
        const [bound] = await d.publish(a, [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, proto: 'tcp' }]);
        assert.ok(bound!.hostPort > 0);
        assert.deepEqual([bound!.containerPort, bound!.proto], [80, 'tcp']);
        assert.deepEqual(d.getSandbox(a)!.ports.map((p) => p.hostPort), [bound!.hostPort]);
        // All or nothing: the free random port of the same call is not kept either.
        await assert.rejects(d.publish(b, [
          { hostIp: '127.0.0.1', hostPort: 0, containerPort: 81, proto: 'tcp' },
          { hostIp: '127.0.0.1', hostPort: bound!.hostPort, containerPort: 80, proto: 'tcp' },
        ]), { message: `Bind for 127.0.0.1:${bound!.hostPort} failed: port is already allocated` });
        assert.deepEqual(d.getSandbox(b)!.ports, []);
        await d.unpublish(a);
        assert.deepEqual(d.getSandbox(a)!.ports, []);
        const [again] = await d.publish(b, [{ hostIp: '127.0.0.1', hostPort: bound!.hostPort, containerPort: 80, proto: 'tcp' }]);
        assert.equal(again!.hostPort, bound!.hostPort);
      } finally {
        await d.destroySandbox(a);
        await d.destroySandbox(b);
      }
    });
  });
}
