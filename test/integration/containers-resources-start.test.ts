/**
 * Resources a container starts with, not only after `update`: --memory-reservation,
 * --memory-swappiness, --oom-kill-disable and --blkio-weight reach its cgroup (what the host's
 * cgroups cannot take is discarded, as dockerd does). Read from inside: runc mounts the
 * container's own cgroup at /sys/fs/cgroup.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { blkioWeightSupported, detectCgroupLayout } from '../../src/common/cgroups.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

const layout = detectCgroupLayout();

async function inside(flags: string[], script: string): Promise<string> {
  const r = await d.cli(['run', '--rm', ...flags, 'bb', 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('--memory-reservation is set at start', async () => {
  const file = layout.version === 1 ? '/sys/fs/cgroup/memory/memory.soft_limit_in_bytes' : '/sys/fs/cgroup/memory.low';
  assert.equal(await inside(['--memory-reservation', '48m'], `cat ${file}`), String(48 * 1024 * 1024));
});

test('--memory-swappiness and --oom-kill-disable are set at start on cgroup v1', { skip: layout.version !== 1 && 'cgroup v1 only (v2 has neither)' }, async () => {
  const out = await inside(['-m', '64m', '--memory-swappiness', '17', '--oom-kill-disable'],
    'cat /sys/fs/cgroup/memory/memory.swappiness; grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control');
  assert.deepEqual(out.split('\n'), ['17', 'oom_kill_disable 1']);
});

test('--blkio-weight: set at start where the kernel has it, discarded (the container still runs) where not', async () => {
  const supported = blkioWeightSupported(layout);
  const file = layout.version === 1 ? '/sys/fs/cgroup/blkio/blkio.weight' : '/sys/fs/cgroup/io.weight';
  const out = await inside(['--blkio-weight', '300'], `cat ${file} 2>/dev/null || echo none`);
  if (supported && layout.version === 1) assert.equal(out, '300');
  else assert.ok(out.length > 0);
});
