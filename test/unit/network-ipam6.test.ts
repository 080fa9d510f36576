/** IPv6 address management (ipam6.ts) and IPv4 `--ip-range` picking (ipam.ts): pure functions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ipam from '../../src/drivers/network/bridge/ipam.ts';
import * as ipam6 from '../../src/drivers/network/bridge/ipam6.ts';

test('IPv6 addresses round-trip in RFC 5952 form', () => {
  const cases: [string, string][] = [
    ['2001:389::1', '2001:389::1'], ['::', '::'], ['::1', '::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], ['fd00:0:0:1:0:0:0:0', 'fd00:0:0:1::'], ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
  ];
  for (const [inp, out] of cases) assert.equal(ipam6.bigToIp6(ipam6.ip6ToBig(inp)), out, inp);
  assert.throws(() => ipam6.ip6ToBig('1.2.3.4'), /invalid IPv6 address/);
  assert.throws(() => ipam6.parseCidr6('fd00::/129'), /invalid CIDR address/);
});

test('IPv6 subnets: host bits cleared, containment, overlap', () => {
  const s = ipam6.parseCidr6('2001:389::1/64');
  assert.equal(ipam6.formatCidr6(s), '2001:389::/64');
  assert.ok(ipam6.contains6(s, ipam6.ip6ToBig('2001:389::ffff')));
  assert.ok(!ipam6.contains6(s, ipam6.ip6ToBig('2001:389:0:1::1')));
  assert.ok(ipam6.overlaps6(s, ipam6.parseCidr6('2001:389::/48')));
  assert.ok(!ipam6.overlaps6(s, ipam6.parseCidr6('2001:38a::/64')));
});

test('IPv6 picking: from the range, never the subnet base, the gateway or a used address, round-robin', () => {
  const s = ipam6.parseCidr6('fd00:1::/64');
  const r = ipam6.parseCidr6('fd00:1::/126'); // ::1 … ::3
  const gw = ipam6.ip6ToBig('fd00:1::1');
  const used = new Set([gw]);
  const a = ipam6.nextFreeIp6(s, r, used, -1n)!;
  assert.equal(ipam6.bigToIp6(a), 'fd00:1::2');
  used.add(a);
  const b = ipam6.nextFreeIp6(s, r, used, a)!;
  assert.equal(ipam6.bigToIp6(b), 'fd00:1::3');
  used.add(b);
  assert.equal(ipam6.nextFreeIp6(s, r, used, b), undefined, 'range full');
  used.delete(a);
  assert.equal(ipam6.bigToIp6(ipam6.nextFreeIp6(s, r, used, b)!), 'fd00:1::2', 'wraps around');
});

test('IPv4 --ip-range: addresses come from the range, after its base address', () => {
  const s = ipam.parseCidr('172.28.0.0/16');
  const r = ipam.parseCidr('172.28.5.0/24');
  const gw = ipam.ipToInt('172.28.5.254');
  const first = ipam.nextFreeIp(s, gw, new Set(), r.base, r)!; // the table starts a range at its base
  assert.equal(ipam.intToIp(first), '172.28.5.1');
  const top = ipam.nextFreeIp(s, gw, new Set(), ipam.ipToInt('172.28.5.253'), r)!;
  assert.equal(ipam.intToIp(top), '172.28.5.255', 'the range\'s last address is a host of the subnet');
  const hi = ipam.parseCidr('10.0.0.128/25');
  assert.equal(ipam.intToIp(ipam.nextFreeIp(ipam.parseCidr('10.0.0.0/24'), ipam.ipToInt('10.0.0.1'), new Set(), 0, hi)!), '10.0.0.129');
  assert.equal(ipam.nextFreeIp(ipam.parseCidr('10.0.0.0/24'), 0, new Set(), 0, ipam.parseCidr('10.0.0.255/32')), undefined, 'only the broadcast address');
});
