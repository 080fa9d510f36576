/**
 * common/cgroups.ts: a container's cgroup path from --cgroup-parent, and its directories on a
 * hybrid (v1 controllers + empty unified) and a pure v2 host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupDirs, cgroupVersion, containerCgroupDirs, containerCgroupPath, parseCgroupLayout, swapLimitSupported } from '../../src/common/cgroups.ts';

const HYBRID = `33 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
39 33 0:34 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
40 33 0:35 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
42 33 0:37 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,cpuset
`;
const V2 = '33 25 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n';

test('a container cgroup path is /<parent>/<id>, parent wharf unless --cgroup-parent names one', () => {
  assert.equal(containerCgroupPath('abc'), '/wharf/abc');
  assert.equal(containerCgroupPath('abc', ''), '/wharf/abc');
  assert.equal(containerCgroupPath('abc', '/mine//sub/'), '/mine/sub/abc');
});

test('hybrid host: one dir per v1 controller, unmounted ones absent; pure v2: the unified dir', () => {
  const h = parseCgroupLayout(HYBRID);
  assert.equal(h.version, 1);
  const d = containerCgroupDirs(h, 'abc', 'p');
  assert.ok(d.version === 1);
  assert.equal(d.dirs.memory, '/sys/fs/cgroup/memory/p/abc');
  assert.equal(d.dirs.cpu, '/sys/fs/cgroup/cpu,cpuacct/p/abc');
  assert.equal(d.dirs.cpuset, '/sys/fs/cgroup/cpuset/p/abc');
  assert.equal(d.dirs.blkio, undefined);
  assert.deepEqual(cgroupDirs(parseCgroupLayout(V2), '/wharf/conmon'), { version: 2, dir: '/sys/fs/cgroup/wharf/conmon' });
  assert.equal(swapLimitSupported(parseCgroupLayout(V2)), true);
  assert.ok(['1', '2'].includes(cgroupVersion()));
});
