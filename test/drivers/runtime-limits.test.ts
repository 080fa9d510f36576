/** Runtime driver (conmon + runc): cgroup limits, OOM, and recovery after a daemon restart. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { NotFoundError } from '../../src/common/errors.ts';
import { RuncRuntime } from '../../src/drivers/runtime/runc/runtime.ts';
import { buildExecProcess } from '../../src/oci/index.ts';
import { Harness } from './runtime-harness.ts';

let h: Harness;
before(async () => { h = await new Harness().init(); });
after(async () => { await h.cleanup(); });

test('pids limit caps a fork loop', async () => {
  const script = 'read m < /sys/fs/cgroup/pids/pids.max; echo max=$m; for i in $(seq 1 40); do sleep 30 & done; echo all-forked';
  const r = await h.run(['sh', '-c', script], { resources: { pidsLimit: 10 } });
  assert.match(r.stdout, /^max=10$/m);
  assert.doesNotMatch(r.stdout, /all-forked/);
  assert.match(r.stderr, /can't fork/);
  assert.notEqual(r.exitCode, 0);
});

test('memory limit: the OOM kill is reported', async () => {
  const mem = 16 * 1024 * 1024;
  const r = await h.run(['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'], { resources: { memory: mem, memorySwap: mem } });
  assert.doesNotMatch(r.stdout, /survived/);
  assert.equal(r.oomKilled, true);
  assert.equal(r.exitCode, 137);
});

test('cpu, memory and cpuset settings reach the cgroup', async () => {
  const r = await h.run(['sh', '-c', 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpuset/cpuset.cpus'],
    { resources: { nanoCpus: 0.5e9, cpuShares: 512, memory: 64 << 20, cpusetCpus: '0' } });
  assert.deepEqual(r.stdout.trim().split('\n'), ['50000', '512', String(64 << 20), '0']);
});

test('restore after a daemon restart: a new driver on the same exec root gets the exit code', async () => {
  const id = h.newId();
  const spec = h.spec(id, ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 7'], { tmpfs: { '/tmp': 'size=1m' } });
  const { pid } = await h.rt.create(id, { spec });
  await h.rt.start(id);
  // The "daemon" goes away: drop the driver object without touching the container.
  h.rt.close();
  h.rt = new RuncRuntime({ execRoot: h.execRoot });
  const restored = await h.rt.restore(id);
  assert.deepEqual(restored, { status: 'running', pid, monitorAlive: true });
  const exited = h.rt.waitExit(id);
  const ex = await h.rt.exec(id, `${id}-go`, buildExecProcess(spec, { args: ['touch', '/tmp/go'] }));
  assert.equal(await ex.exit, 0);
  const info = await exited;
  assert.equal(info.exitCode, 7);
  assert.equal((await h.rt.restore(id)).status, 'stopped');
  await h.rt.delete(id);
  await assert.rejects(h.rt.restore(id), NotFoundError);
});

test('an exit that happened while no daemon watched is still reported', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['sh', '-c', 'exit 12']) });
  const first = h.rt.waitExit(id);
  await h.rt.start(id);
  await first;
  h.rt.close();
  h.rt = new RuncRuntime({ execRoot: h.execRoot });
  assert.equal((await h.rt.restore(id)).status, 'stopped');
  assert.equal((await h.rt.waitExit(id)).exitCode, 12);
  await h.rt.delete(id);
});

test('conmon can be moved out of the daemon cgroup before it forks', async (t) => {
  if (!fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs')) return t.skip('no cgroup v1 pids hierarchy');
  const cg = `/wharf-test/conmon-${process.pid}`;
  const rt = new RuncRuntime({ execRoot: h.execRoot, conmonCgroup: cg });
  const id = h.newId();
  await rt.create(id, { spec: h.spec(id, ['true']) });
  const conmonPid = fs.readFileSync(`${h.execRoot}/runtime/pids/${id}.conmon.pid`, 'utf8').trim();
  assert.match(fs.readFileSync(`/proc/${conmonPid}/cgroup`, 'utf8'), new RegExp(`pids:${cg}$`, 'm'));
  const exited = rt.waitExit(id);
  await rt.start(id);
  assert.equal((await exited).exitCode, 0);
  await rt.delete(id);
  rt.close();
  try { fs.rmdirSync(`/sys/fs/cgroup/pids${cg}`); } catch { /* a zombie conmon may still be listed */ }
});
