/**
 * Stats parsers: cgroup layout from mountinfo (v1 hybrid and pure v2), the v1 and v2
 * counter readers on captured files, /proc/<pid>/net/dev and /proc/stat, and the stats JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCgroupV1, readCgroupV2 } from '../../src/engine/containers/tools/cgroups.ts';
import { containerCgroupDirs, parseCgroupLayout } from '../../src/common/cgroups.ts';
import { parseNetDev, parseProcStat, statsJson } from '../../src/engine/containers/tools/stats.ts';

const MOUNTINFO_V1 = `25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
30 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
33 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
35 33 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
39 33 0:34 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
40 33 0:35 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
41 33 0:36 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,blkio
`;

const MOUNTINFO_V2 = `30 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
33 25 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

// Captured from a cgroup v2 container directory (Debian 12, kernel 6.1, runc 1.1).
const V2_FILES: Record<string, string> = {
  'cpu.stat': 'usage_usec 2513467\nuser_usec 1901218\nsystem_usec 612249\nnr_periods 120\nnr_throttled 7\nthrottled_usec 45012\n',
  'memory.current': '8638464\n',
  'memory.max': '67108864\n',
  'memory.stat': 'anon 4325376\nfile 3887104\nkernel 339968\nkernel_stack 32768\nsock 0\nshmem 0\nfile_mapped 2293760\nfile_dirty 0\nactive_anon 4268032\ninactive_anon 0\nactive_file 1589248\ninactive_file 2297856\nunevictable 0\npgfault 3104\n',
  'pids.current': '3\n',
  'pids.max': 'max\n',
  'io.stat': '8:0 rbytes=1069056 wbytes=4096 rios=31 wios=1 dbytes=0 dios=0\n',
};

// Captured from a cgroup v1 container (this kind of machine: cpu and cpuacct hierarchies).
const V1_FILES: Record<string, Record<string, string>> = {
  cpuacct: { 'cpuacct.usage': '1830473310\n', 'cpuacct.usage_percpu': '1002311570 828161740 \n', 'cpuacct.stat': 'user 150\nsystem 31\n' },
  cpu: { 'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n' },
  memory: {
    'memory.usage_in_bytes': '5636096\n', 'memory.max_usage_in_bytes': '7233536\n', 'memory.limit_in_bytes': '9223372036854771712\n', 'memory.failcnt': '0\n',
    'memory.stat': 'cache 1351680\nrss 3108864\nmapped_file 901120\ninactive_file 1081344\nactive_file 270336\nhierarchical_memory_limit 9223372036854771712\ntotal_cache 1351680\ntotal_rss 3108864\ntotal_inactive_file 1081344\n',
  },
  pids: { 'pids.current': '2\n', 'pids.max': '100\n' },
  blkio: { 'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\nTotal 12288\n', 'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n' },
};

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-stats-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('layout: hybrid v1 host uses the v1 controllers; a pure v2 host the unified dir', () => {
  const v1 = parseCgroupLayout(MOUNTINFO_V1);
  assert.equal(v1.version, 1);
  assert.ok(v1.version === 1 && v1.controllers.cpu === '/sys/fs/cgroup/cpu,cpuacct' && v1.controllers.memory === '/sys/fs/cgroup/memory');
  const d1 = containerCgroupDirs(v1, 'abc');
  assert.ok(d1.version === 1 && d1.dirs.cpuacct === '/sys/fs/cgroup/cpu,cpuacct/wharf/abc' && d1.dirs.pids === '/sys/fs/cgroup/pids/wharf/abc');
  const v2 = parseCgroupLayout(MOUNTINFO_V2);
  assert.deepEqual(v2, { version: 2, root: '/sys/fs/cgroup' });
  assert.deepEqual(containerCgroupDirs(v2, 'abc'), { version: 2, dir: '/sys/fs/cgroup/wharf/abc' });
});

test('layout of this machine is detected and has a memory controller or a unified root', () => {
  const l = parseCgroupLayout(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  if (l.version === 1) assert.ok(l.controllers.memory, 'v1 without memory controller');
  else assert.ok(fs.existsSync(path.join(l.root, 'cgroup.controllers')));
});

test('v2 reader on captured files', (t) => {
  const dir = tmp(t);
  for (const [f, c] of Object.entries(V2_FILES)) fs.writeFileSync(path.join(dir, f), c);
  const s = readCgroupV2(dir);
  assert.equal(s.cpuTotal, 2513467000);
  assert.equal(s.cpuUser, 1901218000);
  assert.equal(s.cpuKernel, 612249000);
  assert.equal(s.percpu, undefined);
  assert.deepEqual(s.throttling, { periods: 120, throttled_periods: 7, throttled_time: 45012000 });
  assert.equal(s.memUsage, 8638464);
  assert.equal(s.memLimit, 67108864);
  assert.equal(s.memStats.inactive_file, 2297856);
  assert.equal(s.pidsCurrent, 3);
  assert.equal(s.pidsLimit, undefined);
  assert.deepEqual(s.ioBytes, [{ major: 8, minor: 0, op: 'read', value: 1069056 }, { major: 8, minor: 0, op: 'write', value: 4096 }]);
  assert.deepEqual(s.ioServiced[1], { major: 8, minor: 0, op: 'write', value: 1 });
});

test('v2: memory.max "max" is unlimited', (t) => {
  const dir = tmp(t);
  fs.writeFileSync(path.join(dir, 'memory.max'), 'max\n');
  fs.writeFileSync(path.join(dir, 'pids.max'), '50\n');
  const s = readCgroupV2(dir);
  assert.equal(s.memLimit, Infinity);
  assert.equal(s.pidsLimit, 50);
});

test('v1 reader on captured files', (t) => {
  const dir = tmp(t);
  const dirs: Record<string, string> = {};
  for (const [ctrl, files] of Object.entries(V1_FILES)) {
    dirs[ctrl] = path.join(dir, ctrl);
    fs.mkdirSync(dirs[ctrl]!);
    for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dirs[ctrl]!, f), c);
  }
  const s = readCgroupV1(dirs as never);
  assert.equal(s.cpuTotal, 1830473310);
  assert.deepEqual(s.percpu, [1002311570, 828161740]);
  assert.equal(s.cpuUser, 1.5e9);
  assert.equal(s.cpuKernel, 0.31e9);
  assert.equal(s.memUsage, 5636096);
  assert.equal(s.memMaxUsage, 7233536);
  assert.equal(s.memLimit, Infinity);
  assert.equal(s.memStats.total_inactive_file, 1081344);
  assert.equal(s.pidsLimit, 100);
  assert.deepEqual(s.ioBytes.filter((e) => e.op === 'Read' || e.op === 'Write').map((e) => e.value), [4096, 8192]);
  assert.ok(!s.ioBytes.some((e) => e.op === 'Total'));
});

test('net/dev, /proc/stat and the stats JSON shape', () => {
  const net = parseNetDev(`Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    1296      16    0    1    0     0          0         0      656       8    0    0    0     0       0          0
`);
  assert.deepEqual(net, { eth0: { rx_bytes: 1296, rx_packets: 16, rx_errors: 0, rx_dropped: 1, tx_bytes: 656, tx_packets: 8, tx_errors: 0, tx_dropped: 0 } });
  const ps = parseProcStat('cpu  100 0 50 1000 10 0 5 0 0 0\ncpu0 50 0 25 500 5 0 2 0 0 0\ncpu1 50 0 25 500 5 0 3 0 0 0\nintr 1\n');
  assert.deepEqual(ps, { systemNs: 1165 * 1e7, onlineCpus: 2 });

  const cg = { cpuTotal: 10, percpu: [4, 6], cpuKernel: 3, cpuUser: 7, throttling: { periods: 0, throttled_periods: 0, throttled_time: 0 }, memUsage: 100, memLimit: Infinity, memStats: { cache: 1 }, pidsCurrent: 1, ioBytes: [], ioServiced: [] };
  const j = statsJson({ id: 'abc', name: '/c1' }, { at: new Date(0), cg, systemNs: 99, onlineCpus: 2, net }, undefined) as any;
  assert.equal(j.name, '/c1');
  assert.equal(j.id, 'abc');
  assert.equal(j.read, '1970-01-01T00:00:00.000Z');
  assert.equal(j.preread, '0001-01-01T00:00:00Z');
  assert.deepEqual(j.cpu_stats.cpu_usage, { total_usage: 10, usage_in_kernelmode: 3, usage_in_usermode: 7, percpu_usage: [4, 6] });
  assert.equal(j.cpu_stats.system_cpu_usage, 99);
  assert.equal(j.cpu_stats.online_cpus, 2);
  assert.equal(j.memory_stats.limit, os.totalmem());
  assert.deepEqual(j.pids_stats, { current: 1 });
  assert.equal(j.networks.eth0.rx_bytes, 1296);
  const stopped = statsJson({ id: 'abc', name: '/c1' }, undefined, undefined) as any;
  assert.equal(stopped.read, '0001-01-01T00:00:00Z');
  assert.deepEqual(stopped.memory_stats, {});
});
