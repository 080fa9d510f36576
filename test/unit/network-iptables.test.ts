/** The bridge driver's iptables rules, in the exact form iptables-save prints them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleSet } from '../../src/drivers/network/bridge/iptables.ts';

const r = new RuleSet('WHARF');

test('chains and jumps stay in our own chains; FORWARD jump goes first', () => {
  assert.deepEqual(r.chains(), {
    filter: ['WHARF-FORWARD', 'WHARF-ISOLATION-1', 'WHARF-ISOLATION-2'],
    nat: ['WHARF-DNAT', 'WHARF-POSTROUTING'],
    raw: ['WHARF-RAW'],
  });
  const fwd = r.jumps().find((j) => j.chain === 'FORWARD')!;
  assert.equal(fwd.spec, '-j WHARF-FORWARD');
  assert.equal(fwd.insert, true);
  assert.ok(r.jumps().every((j) => !/DOCKER|docker0/.test(j.spec)));
  assert.deepEqual(r.jumps().filter((j) => j.table === 'nat' && j.chain !== 'POSTROUTING').map((j) => j.spec),
    ['-m addrtype --dst-type LOCAL -j WHARF-DNAT', '-m addrtype --dst-type LOCAL -j WHARF-DNAT']);
});

test('a normal bridge: masquerade out, one ctstate DNAT accept, isolation, localnet masquerade + raw guard', () => {
  const lines = r.bridgeRules({ bridge: 'wharf0', subnet: '172.18.0.0/16', internal: false }).map((x) => `${x.table} -A ${x.chain} ${x.spec}`);
  assert.deepEqual(lines, [
    'filter -A WHARF-ISOLATION-1 -i wharf0 ! -o wharf0 -j WHARF-ISOLATION-2',
    'filter -A WHARF-ISOLATION-2 -o wharf0 -j DROP',
    'filter -A WHARF-FORWARD -o wharf0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'filter -A WHARF-FORWARD -o wharf0 -m conntrack --ctstate DNAT -j ACCEPT',
    'filter -A WHARF-FORWARD -i wharf0 -j ACCEPT',
    'nat -A WHARF-POSTROUTING -s 172.18.0.0/16 ! -o wharf0 -j MASQUERADE',
    'nat -A WHARF-POSTROUTING -s 127.0.0.0/8 -o wharf0 -j MASQUERADE',
    'nat -A WHARF-POSTROUTING -s 172.18.0.0/16 -d 172.18.0.0/16 -o wharf0 -m conntrack --ctstate DNAT -j MASQUERADE',
    'raw -A WHARF-RAW -d 127.0.0.0/8 -i wharf0 -j DROP',
  ]);
});

test('an internal bridge: no NAT, nothing in or out', () => {
  const rules = r.bridgeRules({ bridge: 'br-0123456789ab', subnet: '10.5.0.0/24', internal: true });
  assert.ok(!rules.some((x) => x.spec.includes('MASQUERADE')));
  assert.ok(rules.some((x) => x.spec === '-i br-0123456789ab ! -o br-0123456789ab -j DROP'));
  assert.ok(rules.some((x) => x.spec === '-o br-0123456789ab ! -i br-0123456789ab -j DROP'));
});

test('port rules: wildcard has no -d, a host IP gets /32, tagged with the container id', () => {
  const base = { containerId: 'c0ffee', hostPort: 8080, containerIp: '172.18.0.2', containerPort: 80, proto: 'tcp' as const };
  assert.equal(r.portRule({ ...base, hostIp: '0.0.0.0' }).spec,
    '-p tcp -m tcp --dport 8080 -m comment --comment "WHARF:c0ffee" -j DNAT --to-destination 172.18.0.2:80');
  assert.equal(r.portRule({ ...base, hostIp: '127.0.0.1', proto: 'udp' }).spec,
    '-d 127.0.0.1/32 -p udp -m udp --dport 8080 -m comment --comment "WHARF:c0ffee" -j DNAT --to-destination 172.18.0.2:80');
});
