/**
 * The driver-independent part of the NetworkDriver contract (src/drivers/network/contract.ts):
 * networks (default, create, lookup, conflicts, removal), sandboxes and endpoints (addresses
 * from the subnet, static addresses, connect/disconnect errors), published ports (all or
 * nothing, a taken port refused with docker's text, freed by unpublish) and the /etc files.
 * Run against the bridge driver (network-contract.test.ts, root, a private bridge and chain
 * prefix) and the engine's fakes. Traffic, DNS, iptables and restore stay in network-bridge.test.ts.
 * A driver that is not a sandbox provider (macvlan-like) runs it with another one's sandboxes:
 * its endpoints join the netns it is handed (`nsPath`); the default network, the sandbox's
 * endpoint list, /etc files and published ports are then the provider's and not checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { ConnectOptions, NetworkDriver, SandboxProvider } from '../../src/drivers/network/contract.ts';

export interface NetworkSubject {
  readonly driver: NetworkDriver;
  /** The sandboxes its endpoints join; absent = the driver is its own sandbox provider. */
  readonly sandboxes?: SandboxProvider;
  /** A /24 no other network (or host route) uses, as `a.b.c.0/24`. */
  freeSubnet(): string;
  cleanup(): Promise<void>;
}

const cid = () => crypto.randomBytes(32).toString('hex');

export function networkContract(name: string, setup: () => Promise<NetworkSubject>): void {
  describe(`network driver contract: ${name}`, () => {
    let s: NetworkSubject;
    let d: NetworkDriver;
    /** The sandbox provider (the driver itself, or the subject's). */
    let sb: SandboxProvider;
    /** The driver is its own sandbox provider (then its sandbox-side behaviour is checked too). */
    let own = true;
    const ns = new Map<string, string>();
    const tag = crypto.randomBytes(3).toString('hex');
    before(async () => {
      s = await setup();
      d = s.driver;
      own = !s.sandboxes;
      sb = s.sandboxes ?? (s.driver as NetworkDriver & SandboxProvider);
    });
    const mk = async (c: string) => { const r = await sb.createSandbox(c); ns.set(c, r.nsPath); return r; };
    /** As the engine connects: into the sandbox's netns. */
    const join = (c: string, net: string, o: ConnectOptions = {}) => d.connect(c, net, { ...o, nsPath: ns.get(c) });
    /** As the engine stops a container: this driver's endpoints leave first unless it is the provider. */
    const drop = async (c: string) => {
      if (!own) for (const n of d.listNetworks()) await d.disconnect(c, n.id).catch(() => undefined);
      await sb.destroySandbox(c);
    };
    after(async () => { await s.cleanup(); });

    test('the default network; lookup by name, id and unique prefix', (t) => {
      if (!own) { t.skip('the default network is the sandbox provider\'s'); return; }
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
        if (own) await assert.rejects(d.removeNetwork('bridge'), { status: 403, message: 'bridge is a pre-defined network and cannot be removed' });
        await mk(a);
        await join(a, n.id, {});
        await assert.rejects(d.removeNetwork(n.id), { status: 403, message: `error while removing network: network c-${tag} id ${n.id} has active endpoints` });
      } finally {
        await drop(a);
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
        const { nsPath } = await mk(a);
        assert.ok(nsPath.endsWith(a));
        if (own) await assert.rejects(mk(a), { status: 409 });
        await mk(b);
        const ea = await join(a, n.id, { aliases: ['x'] });
        const eb = await join(b, n.name, { ip: subnet.replace(/0\/24$/, '77') });
        assert.equal(eb.ip, subnet.replace(/0\/24$/, '77'));
        assert.equal(ea.ip.split('.').slice(0, 3).join('.'), subnet.split('.').slice(0, 3).join('.'));
        assert.notEqual(ea.ip, eb.ip);
        assert.notEqual(ea.ip, n.gateway);
        assert.deepEqual([ea.prefixLen, ea.gateway, ea.networkId], [24, n.gateway, n.id]);
        assert.match(ea.endpointId, /^[0-9a-f]{64}$/);
        assert.match(ea.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        await assert.rejects(join(a, n.id, {}), { status: 409 });
        await assert.rejects(join(cid(), n.id, {}), { status: 404 });
        if (own) {
          assert.deepEqual(sb.getSandbox(a)!.endpoints.map((e) => e.ip), [ea.ip]);
          const files = sb.renderFiles(a, { hostname: 'h1', extraHosts: ['extra:10.9.9.9'] });
          assert.equal(files.hostname, 'h1\n');
          assert.match(files.hosts, new RegExp(`^${ea.ip.replace(/\./g, '\\.')}\\s+h1`, 'm'));
          assert.match(files.hosts, /^10\.9\.9\.9\s+extra$/m);
          assert.match(files.resolvConf, /^nameserver /m);
        }
        await d.disconnect(a, n.id);
        if (own) assert.equal(sb.getSandbox(a)!.endpoints.length, 0);
        await assert.rejects(d.disconnect(a, n.id), { status: 404 });
      } finally {
        await drop(a);
        await drop(a);
        await drop(b);
        await d.removeNetwork(n.id);
      }
      assert.equal(sb.getSandbox(a), undefined);
    });

    test('published ports: a random host port, a taken one refused with nothing left bound, unpublish frees them', async (t) => {
      if (!own) { t.skip('ports are the sandbox provider\'s'); return; }
      const [a, b] = [cid(), cid()];
      try {
        await mk(a);
        await join(a, 'bridge', {});
        await mk(b);
        await join(b, 'bridge', {});
        const [bound] = await sb.publish(a, [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, proto: 'tcp' }]);
        assert.ok(bound!.hostPort > 0);
        assert.deepEqual([bound!.containerPort, bound!.proto], [80, 'tcp']);
        assert.deepEqual(sb.getSandbox(a)!.ports.map((p) => p.hostPort), [bound!.hostPort]);
        // All or nothing: the free random port of the same call is not kept either.
        await assert.rejects(sb.publish(b, [
          { hostIp: '127.0.0.1', hostPort: 0, containerPort: 81, proto: 'tcp' },
          { hostIp: '127.0.0.1', hostPort: bound!.hostPort, containerPort: 80, proto: 'tcp' },
        ]), { message: `Bind for 127.0.0.1:${bound!.hostPort} failed: port is already allocated` });
        assert.deepEqual(sb.getSandbox(b)!.ports, []);
        await sb.unpublish(a);
        assert.deepEqual(sb.getSandbox(a)!.ports, []);
        const [again] = await sb.publish(b, [{ hostIp: '127.0.0.1', hostPort: bound!.hostPort, containerPort: 80, proto: 'tcp' }]);
        assert.equal(again!.hostPort, bound!.hostPort);
      } finally {
        await drop(a);
        await drop(b);
      }
    });
  });
}
