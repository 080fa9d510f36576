/** run flags with no other test through the daemon: caps, stop signal/timeout, cpu, devices, seccomp, labels, logs windows, prune. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

const capEff = (out: string) => BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)$/m.exec(out)?.[1] ?? '0'));

test('--cap-add and --cap-drop change the effective set', async () => {
  const base = capEff((await d.cli(['run', '--rm', 'bb', 'grep', 'CapEff', '/proc/self/status'])).stdout);
  const added = capEff((await d.cli(['run', '--rm', '--cap-add', 'NET_ADMIN', 'bb', 'grep', 'CapEff', '/proc/self/status'])).stdout);
  const dropped = capEff((await d.cli(['run', '--rm', '--cap-drop', 'CHOWN', 'bb', 'grep', 'CapEff', '/proc/self/status'])).stdout);
  assert.equal(added, base | (1n << 12n));
  assert.equal(dropped, base & ~1n);
  const chown = await d.cli(['run', '--rm', '--cap-drop', 'ALL', 'bb', 'chown', '1:1', '/tmp']);
  assert.notEqual(chown.code, 0);
});

test('--stop-signal and --stop-timeout drive stop', async () => {
  await d.cli(['run', '-d', '--name', 'sig', '--stop-signal', 'USR1', 'bb', 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']);
  assert.equal((await d.cli(['stop', 'sig'])).code, 0);
  assert.equal((await d.api('GET', '/containers/sig/json')).json.State.ExitCode, 42);
  await d.cli(['run', '-d', '--name', 'slow', '--stop-timeout', '1', 'bb', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
  const t = Date.now();
  assert.equal((await d.cli(['stop', 'slow'])).code, 0);
  assert.ok(Date.now() - t < 8000, 'SIGKILL after the stop timeout');
  assert.equal((await d.api('GET', '/containers/slow/json')).json.State.ExitCode, 137);
  await d.cli(['rm', 'sig', 'slow']);
});

test('--cpus and --cpu-shares reach the cgroup', async () => {
  const r = await d.cli(['run', '--rm', '--cpus', '0.5', '--cpu-shares', '512', 'bb', 'sh', '-c', 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight']);
  assert.equal(r.code, 0, r.stderr);
  const nums = r.stdout.trim().split(/\s+/).map(Number);
  if (nums.length === 3) assert.deepEqual(nums, [50000, 100000, 512]);
  else assert.equal(nums[0], 50000);
});

test('--device exposes a host device', async () => {
  const r = await d.cli(['run', '--rm', '--device', '/dev/null:/dev/mynull', 'bb', 'sh', '-c', 'echo x > /dev/mynull && ls -l /dev/mynull']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^c/);
});

test('--security-opt seccomp=unconfined turns the filter off', async () => {
  const r = await d.cli(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'bb', 'grep', 'Seccomp:', '/proc/self/status']);
  assert.match(r.stdout, /Seccomp:\s+0/);
  const profile = path.join(d.dir, 'deny-mkdir.json');
  fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  const p = await d.cli(['run', '--rm', '--security-opt', `seccomp=${profile}`, 'bb', 'mkdir', '/tmp/x']);
  assert.notEqual(p.code, 0);
});

test('labels filter ps; logs --since/--until window; container prune', async () => {
  await d.cli(['run', '--name', 'lab', '--label', 'tier=db', 'bb', 'sh', '-c', 'echo one; sleep 1.2; echo two']);
  const ps = await d.cli(['ps', '-a', '-q', '--filter', 'label=tier=db']);
  assert.equal(ps.stdout.trim().split('\n').length, 1);
  const all = await d.cli(['logs', '-t', 'lab']);
  const second = /^(\S+) two$/m.exec(all.stdout)?.[1];
  assert.ok(second, all.stdout);
  const since = await d.cli(['logs', '--since', second!, 'lab']);
  assert.equal(since.stdout, 'two\n');
  const until = await d.cli(['logs', '--until', new Date(Date.parse(second!) - 500).toISOString(), 'lab']);
  assert.equal(until.stdout, 'one\n');
  const prune = await d.api('POST', '/containers/prune');
  assert.equal(prune.status, 200);
  assert.ok(prune.json.ContainersDeleted.length >= 1);
  assert.equal((await d.api('GET', '/containers/lab/json')).status, 404);
});
