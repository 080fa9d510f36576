/** /etc/hosts, /etc/hostname and /etc/resolv.conf as docker renders them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResolvConf, renderHostname, renderHosts, renderResolvConf, upstreamServers } from '../../src/common/etc-files.ts';

const hostConf = '# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example lab.example\noptions edns0 trust-ad\n';

test('default bridge: host resolv.conf without loopback nameservers', () => {
  assert.equal(renderResolvConf({ host: hostConf, embeddedDns: false }),
    'search corp.example lab.example\nnameserver 10.0.0.2\noptions edns0 trust-ad\n');
});

test('only loopback nameservers on the host → docker defaults 8.8.8.8 and 8.8.4.4', () => {
  assert.equal(renderResolvConf({ host: 'nameserver 127.0.0.53\n', embeddedDns: false }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(renderResolvConf({ host: '', embeddedDns: false }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});

test('user-defined network: the embedded DNS with ndots:0', () => {
  assert.equal(renderResolvConf({ host: hostConf, embeddedDns: true }),
    'search corp.example lab.example\nnameserver 127.0.0.11\noptions edns0 trust-ad ndots:0\n');
});

test('--dns, --dns-search, --dns-option replace the host values', () => {
  assert.equal(renderResolvConf({ host: hostConf, embeddedDns: false, dns: ['1.1.1.1'], dnsSearch: ['a.example'], dnsOptions: ['ndots:2'] }),
    'search a.example\nnameserver 1.1.1.1\noptions ndots:2\n');
  assert.equal(renderResolvConf({ host: hostConf, embeddedDns: false, dnsSearch: ['.'] }), 'nameserver 10.0.0.2\noptions edns0 trust-ad\n');
});

test('parseResolvConf and upstreams (loopback kept: the daemon forwards from the host)', () => {
  assert.deepEqual(parseResolvConf(hostConf).nameservers, ['127.0.0.53', '10.0.0.2']);
  assert.deepEqual(upstreamServers(hostConf), ['127.0.0.53', '10.0.0.2']);
  assert.deepEqual(upstreamServers('nameserver ::1\n'), ['8.8.8.8', '8.8.4.4']);
});

test('/etc/hosts: localhost block, --add-host entries, then the container line', () => {
  const hosts = renderHosts({ hostname: 'abc123def456', ip: '172.18.0.2', extraHosts: ['db:10.1.2.3', 'v6:::1', 'eq=10.0.0.9'] });
  assert.equal(hosts,
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n' +
    'ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.1.2.3\tdb\n::1\tv6\n10.0.0.9\teq\n172.18.0.2\tabc123def456\n');
  assert.match(renderHosts({ hostname: 'h', domainname: 'example.org', ip: '10.0.0.5' }), /^10\.0\.0\.5\th\.example\.org h$/m);
  assert.doesNotMatch(renderHosts({ hostname: 'h' }), /\th$/m, 'no own line without an address (--network none)');
  assert.equal(renderHostname('h'), 'h\n');
});

test('host network: the host resolv.conf as it is; --dns* flags rebuild it, loopback nameservers kept', () => {
  assert.equal(renderResolvConf({ host: hostConf, embeddedDns: false, hostNetwork: true }), hostConf);
  assert.equal(renderResolvConf({ host: hostConf, embeddedDns: false, hostNetwork: true, dnsOptions: ['ndots:2'] }),
    'search corp.example lab.example\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions ndots:2\n');
});

test('hosts on another base (host network: the host file), with no own line', () => {
  assert.equal(renderHosts({ base: '127.0.0.1 localhost myhost', hostname: 'x', extraHosts: ['a:1.2.3.4'] }), '127.0.0.1 localhost myhost\n1.2.3.4\ta\n');
  assert.equal(renderHosts({ hostname: 'c1', ip: '127.0.1.1' }).split('\n').at(-2), '127.0.1.1\tc1');
});
