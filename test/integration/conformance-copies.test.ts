/** The /etc files of containers with no network driver (none, host), now rendered by common/etc-files.ts as the bridge driver's are. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

test('--network none: docker\'s hosts block, --add-host, the own 127.0.1.1 line; --dns* in resolv.conf', async () => {
  const r = await d.cli(['run', '--rm', '--network', 'none', '--hostname', 'h1', '--add-host', 'a.example:10.1.2.3', '--dns', '10.9.9.9', '--dns-search', 's.example', '--dns-option', 'ndots:3',
    'bb', 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname']);
  assert.equal(r.code, 0, r.stderr);
  const [hosts, resolv, hostname] = r.stdout.split('---\n');
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(hosts, /^10\.1\.2\.3\ta\.example$/m);
  assert.match(hosts, /^127\.0\.1\.1\th1$/m);
  assert.equal(resolv, 'search s.example\nnameserver 10.9.9.9\noptions ndots:3\n');
  assert.equal(hostname, 'h1\n');
});

test('--network host: the host\'s resolv.conf as it is and its /etc/hosts, plus --add-host', async () => {
  const r = await d.cli(['run', '--rm', '--network', 'host', '--add-host', 'b.example:10.1.2.4', 'bb', 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf']);
  assert.equal(r.code, 0, r.stderr);
  const [hosts, resolv] = r.stdout.split('---\n');
  const hostHosts = fs.readFileSync('/etc/hosts', 'utf8');
  assert.ok(hosts.startsWith(hostHosts.trimEnd()), hosts);
  assert.match(hosts, /^10\.1\.2\.4\tb\.example$/m);
  assert.equal(resolv, fs.readFileSync('/etc/resolv.conf', 'utf8'));
});
