/** IPAM of the bridge network driver: CIDR math, docker-like pool choice, round-robin addresses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ipam from '../../src/drivers/network/bridge/ipam.ts';

test('CIDR parsing clears host bits and rejects garbage', () => {
  assert.equal(ipam.formatCidr(ipam.parseCidr('172.20.3.4/16')), '172.20.0.0/16');
  assert.equal(ipam.formatCidr(ipam.parseCidr('10.0.0.1/32')), '10.0.0.1/32');
  assert.throws(() => ipam.parseCidr('10.0.0.0'), { status: 400 });
  assert.throws(() => ipam.parseCidr('10.0.0.256/8'), { status: 400 });
  assert.throws(() => ipam.parseCidr('10.0.0.0/33'), { status: 400 });
  assert.equal(ipam.intToIp(ipam.ipToInt('255.254.1.0')), '255.254.1.0');
});

test('overlap and containment', () => {
  const a = ipam.parseCidr('172.19.0.0/16');
  assert.ok(ipam.overlaps(a, ipam.parseCidr('172.19.5.0/24')));
  assert.ok(ipam.overlaps(ipam.parseCidr('172.0.0.0/8'), a));
  assert.ok(!ipam.overlaps(a, ipam.parseCidr('172.20.0.0/16')));
  assert.ok(ipam.contains(a, ipam.ipToInt('172.19.255.254')));
  assert.ok(!ipam.contains(a, ipam.ipToInt('172.20.0.1')));
});

test('pickSubnet skips host routes and taken networks, then falls back to 192.168.x.0/24', () => {
  const routes = ipam.parseRoutes([
    'default via 192.0.2.1 dev eth0',
    '172.19.0.0/16 dev br-x proto kernel scope link src 172.19.0.1',
    '172.20.4.0/24 dev foo',
    'local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1',
    'broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2',
  ].join('\n'));
  assert.equal(routes.length, 4, 'the default route is ignored');
  assert.equal(ipam.formatCidr(ipam.pickSubnet(routes)), '172.21.0.0/16');
  const all172 = Array.from({ length: 13 }, (_, i) => ipam.parseCidr(`172.${19 + i}.0.0/16`));
  all172.push(ipam.parseCidr('192.168.0.0/24'));
  assert.equal(ipam.formatCidr(ipam.pickSubnet(all172)), '192.168.1.0/24');
  assert.throws(() => ipam.pickSubnet([ipam.parseCidr('172.16.0.0/12'), ipam.parseCidr('192.168.0.0/16')]), /non-overlapping/);
  // a default route (prefix 0) never blocks a pool
  assert.equal(ipam.formatCidr(ipam.pickSubnet([ipam.parseCidr('0.0.0.0/0')])), '172.19.0.0/16');
});

test('addresses are handed out round-robin, never the gateway, network or broadcast address', () => {
  const s = ipam.parseCidr('10.9.0.0/29'); // hosts .1–.6
  const gw = ipam.ipToInt('10.9.0.1');
  const used = new Set<number>();
  const got: string[] = [];
  let last = gw;
  for (;;) {
    const ip = ipam.nextFreeIp(s, gw, used, last);
    if (ip === undefined) break;
    used.add(ip);
    last = ip;
    got.push(ipam.intToIp(ip));
  }
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  used.delete(ipam.ipToInt('10.9.0.3'));
  used.delete(ipam.ipToInt('10.9.0.5'));
  // after .6 the search wraps and finds .3 first, then .5 — not the last-freed one again and again
  assert.equal(ipam.intToIp(ipam.nextFreeIp(s, gw, used, ipam.ipToInt('10.9.0.6'))!), '10.9.0.3');
  assert.equal(ipam.intToIp(ipam.nextFreeIp(s, gw, used, ipam.ipToInt('10.9.0.3'))!), '10.9.0.5');
  assert.equal(ipam.nextFreeIp(ipam.parseCidr('10.9.0.0/31'), gw, new Set(), 0), undefined);
});

test('MAC addresses follow docker: 02:42 + the IPv4 bytes', () => {
  assert.equal(ipam.macForIp(ipam.ipToInt('172.18.0.2')), '02:42:ac:12:00:02');
});
