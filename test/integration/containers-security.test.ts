/**
 * SECURITY-CHECKS 1–9 through the daemon: default capabilities, non-root users and groups,
 * seccomp, privileged operations refused (and allowed with --privileged), masked paths,
 * devices, no-new-privileges (per container and daemon-wide), the WORKDIR fd escape, and the
 * runc version warning.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

const run = (args: string[]) => d.cli(['run', '--rm', ...args]);

function capLine(out: string, name: string): string {
  return new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(out)?.[1] ?? '';
}

test('check 1: default capabilities equal docker\'s set', async () => {
  const r = await run(['bb', 'grep', 'Cap', '/proc/self/status']);
  assert.equal(r.code, 0, r.stderr);
  for (const n of ['CapPrm', 'CapEff', 'CapBnd']) assert.equal(capLine(r.stdout, n), '00000000a80425fb', n);
  for (const n of ['CapInh', 'CapAmb']) assert.equal(capLine(r.stdout, n), '0000000000000000', n);
});

test('check 2: a non-root user has no effective caps and keeps supplementary groups', async () => {
  const r = await run(['--user', '1000', 'bb', 'grep', 'Cap', '/proc/self/status']);
  assert.equal(capLine(r.stdout, 'CapEff'), '0000000000000000');
  assert.equal(capLine(r.stdout, 'CapPrm'), '0000000000000000');
  assert.equal(capLine(r.stdout, 'CapBnd'), '00000000a80425fb');
});

test('check 3: seccomp filter mode 2 and the spec handed to runc matches the default profile', async () => {
  const r = await run(['bb', 'grep', 'Seccomp:', '/proc/self/status']);
  assert.match(r.stdout, /Seccomp:\s+2/);
  const c = await d.cli(['run', '-d', '--name', 'sc', 'bb', 'sleep', '60']);
  assert.equal(c.code, 0, c.stderr);
  const id = c.stdout.trim();
  const spec = JSON.parse(fs.readFileSync(path.join(d.dataRoot, 'containers', id, 'runtime-spec.json'), 'utf8'));
  assert.equal(spec.linux.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(spec.linux.seccomp.defaultErrnoRet, 1);
  const allowed = new Set<string>(spec.linux.seccomp.syscalls.filter((s: { action: string }) => s.action === 'SCMP_ACT_ALLOW').flatMap((s: { names: string[] }) => s.names));
  assert.ok(allowed.has('read') && allowed.has('clone'));
  assert.ok(!allowed.has('io_uring_setup'));
  await d.cli(['rm', '-f', 'sc']);
});

test('check 4: privileged operations are refused by default and work with --privileged', async () => {
  for (const cmd of ['mount -t tmpfs none /tmp', 'ip link add x type dummy', 'hostname x', 'sysctl -w kernel.domainname=x', 'date -s 2000-01-01']) {
    const r = await run(['bb', 'sh', '-c', cmd]);
    // busybox `date -s` reports EPERM but exits 0; the refusal is what counts.
    assert.ok(r.code !== 0 && /not permitted|Read-only|denied|EPERM/i.test(r.stderr) || /Operation not permitted/.test(r.stderr), `${cmd} should be refused: ${r.code} ${r.stderr}`);
  }
  const p = await run(['--privileged', 'bb', 'sh', '-c', 'mount -t tmpfs none /tmp && echo mounted']);
  assert.equal(p.stdout.trim(), 'mounted', p.stderr);
});

test('check 5: masked and read-only paths', async () => {
  const r = await run(['bb', 'sh', '-c', 'wc -c < /proc/keys; ls -A /proc/acpi 2>/dev/null | wc -l; grep -E " /proc/(sys|sysrq-trigger|irq|bus|fs) " /proc/self/mountinfo | grep -c " ro,"']);
  const [keys, acpi, ro] = r.stdout.trim().split('\n').map(Number);
  assert.equal(keys, 0);
  assert.equal(acpi, 0);
  assert.ok(ro! >= 3, r.stdout);
});

test('check 6: /dev holds docker\'s default devices; mknod works but opening fails', async () => {
  const r = await run(['bb', 'ls', '/dev']);
  const devs = r.stdout.trim().split(/\s+/).sort();
  for (const want of ['full', 'null', 'random', 'urandom', 'zero', 'tty', 'ptmx', 'pts', 'shm', 'mqueue']) assert.ok(devs.includes(want), `missing /dev/${want}: ${devs}`);
  assert.ok(!devs.includes('sda') && !devs.includes('mem'));
  const m = await run(['bb', 'sh', '-c', 'mknod /tmp/b b 8 0 && echo made; head -c1 /tmp/b; echo rc=$?']);
  assert.match(m.stdout, /made/);
  assert.match(m.stdout + m.stderr, /Operation not permitted/);
});

test('check 7: no-new-privileges per container, and an unknown security-opt is a 400', async () => {
  const dflt = await run(['bb', 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.match(dflt.stdout, /NoNewPrivs:\s+0/);
  const nnp = await run(['--security-opt', 'no-new-privileges', 'bb', 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.match(nnp.stdout, /NoNewPrivs:\s+1/);
  const bad = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { SecurityOpt: ['bogus'] } });
  assert.equal(bad.status, 400);
});

test('check 7: the daemon-wide --no-new-privileges applies to every container', async () => {
  const d2 = await startDaemon({ args: ['--no-new-privileges'] });
  try {
    await importBusybox(d2);
    const r = await d2.cli(['run', '--rm', 'bb', 'grep', 'NoNewPrivs', '/proc/self/status']);
    assert.match(r.stdout, /NoNewPrivs:\s+1/, r.stderr);
  } finally {
    await d2.stop();
  }
});

test('check 8: WORKDIR /proc/self/fd/N never gives a host listing (CVE-2024-21626)', async () => {
  for (let n = 3; n <= 10; n++) {
    const r = await run(['-w', `/proc/self/fd/${n}`, 'bb', 'ls']);
    assert.notEqual(r.code, 0, `fd ${n}: ${r.stdout}`);
  }
  await d.cli(['run', '-d', '--name', 'fdx', 'bb', 'sleep', '60']);
  for (let n = 3; n <= 10; n++) {
    const r = await d.cli(['exec', '-w', `/proc/self/fd/${n}`, 'fdx', 'ls']);
    assert.notEqual(r.code, 0, `exec fd ${n}: ${r.stdout}`);
  }
  await d.cli(['rm', '-f', 'fdx']);
});

test('check 9: runc older than the 2025 fixes is reported loudly in info', async () => {
  const i = await d.api('GET', '/info');
  const w = (i.json.Warnings as string[]).join('\n');
  if (w) assert.match(w, /CVE-2024-21626/);
});
