/**
 * Stats, pause/unpause and update against real containers: CPU and memory numbers move when
 * a container burns CPU and fills memory (this machine's cgroup layout, detected), the
 * stream/one-shot API forms, `docker stats --no-stream`; pause freezes a counter and unpause
 * resumes it; `docker update` raises a running container's memory limit in its cgroup;
 * network counters on a bridge network (own bridge via the networking harness).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { containerCgroupDirs, detectCgroupLayout } from '../../src/common/cgroups.ts';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { startNetDaemon } from './networking-harness.ts';

let d: TestDaemon;

async function ok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function stats(c: string, q = 'stream=false'): Promise<any> {
  const r = await d.api('GET', `/containers/${c}/stats?${q}`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body);
}

async function idOf(c: string): Promise<string> {
  return (await ok(['inspect', '-f', '{{.Id}}', c])).trim();
}

async function readFileIn(c: string, p: string): Promise<string> {
  const r = await d.api('GET', `/containers/${c}/archive?path=${encodeURIComponent(p)}`);
  if (r.status === 404) return '';
  assert.equal(r.status, 200, r.body);
  // One small file: the 512-byte header, then the body up to the first NUL.
  return r.body.slice(512).split('\0')[0]!;
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

before(async () => {
  d = await startDaemon();
  const imp = await d.cli(['import', await busyboxRootfsTar(), 'busybox:latest']);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  await d?.stop();
});

test('cpu and memory numbers move when the container works', async () => {
  await ok(['run', '-d', '--name', 'burn', 'busybox', 'sh', '-c', 'while :; do :; done']);
  const s = await stats('burn');
  assert.equal(s.name, '/burn');
  assert.equal(s.id, await idOf('burn'));
  assert.notEqual(s.preread, '0001-01-01T00:00:00Z');
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = s.cpu_stats.system_cpu_usage - s.precpu_stats.system_cpu_usage;
  assert.ok(cpuDelta > 10e6, `cpu delta ${cpuDelta}ns over one second of burning: ${JSON.stringify(s)}`);
  assert.ok(sysDelta > 0);
  assert.ok(s.cpu_stats.online_cpus >= 1);
  assert.ok(s.cpu_stats.cpu_usage.usage_in_usermode + s.cpu_stats.cpu_usage.usage_in_kernelmode > 0);
  assert.ok(s.pids_stats.current >= 1);
  assert.ok('throttling_data' in s.cpu_stats);
  const before = (await stats('burn', 'stream=false&one-shot=true')).memory_stats.usage;
  await ok(['exec', 'burn', 'dd', 'if=/dev/zero', 'of=/dev/shm/fill', 'bs=1M', 'count=40']);
  const after = await stats('burn', 'stream=false&one-shot=true');
  assert.ok(after.memory_stats.usage - before > 30 * 1024 * 1024, `memory grew by ${after.memory_stats.usage - before}: ${JSON.stringify(after.memory_stats)}`);
  assert.ok(after.memory_stats.limit > 0);
  assert.ok(Object.keys(after.memory_stats.stats).length > 0);
  assert.equal(after.precpu_stats.system_cpu_usage, undefined, 'one-shot has no precpu sample');

  const cli = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'burn']);
  assert.match(cli, /^burn [\d.]+MiB \/ [\d.]+[MG]iB \d+\n$/);
  const wharf = await d.cli(['stats', '--no-stream', '-a', '--no-trunc', '--format', '{{.Name}} {{.CPUPerc}}', 'burn']);
  assert.equal(wharf.code, 0, wharf.stderr);
  assert.match(wharf.stdout, /^burn [\d.]+%\n$/);
  await ok(['rm', '-f', 'burn']);
});

test('the stats stream sends one object per second with the previous as precpu', async () => {
  await ok(['run', '-d', '--name', 'st', 'busybox', 'sleep', '1000']);
  const lines = await new Promise<any[]>((resolve, reject) => {
    const got: any[] = [];
    let buf = '';
    const req = http.get({ socketPath: d.sock, path: '/containers/st/stats' }, (res) => {
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          got.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          if (got.length === 2) { req.destroy(); resolve(got); }
        }
      });
    });
    req.on('error', (e) => (got.length >= 2 ? undefined : reject(e)));
  });
  assert.equal(lines[0].preread, '0001-01-01T00:00:00Z');
  assert.equal(lines[1].preread, lines[0].read);
  assert.equal(lines[1].precpu_stats.cpu_usage.total_usage, lines[0].cpu_stats.cpu_usage.total_usage);
  // Stopped containers report zeros.
  await ok(['stop', '-t', '0', 'st']);
  const z = await stats('st');
  assert.equal(z.read, '0001-01-01T00:00:00Z');
  assert.deepEqual(z.memory_stats, {});
  await ok(['rm', 'st']);
});

test('pause freezes a counter, unpause resumes it', async () => {
  await ok(['run', '-d', '--name', 'cnt', 'busybox', 'sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/cnt; sleep 0.05; done']);
  assert.ok(await until(async () => Number(await readFileIn('cnt', '/tmp/cnt')) > 2, 10_000), 'counter never started');
  await ok(['pause', 'cnt']);
  assert.equal(JSON.parse(await ok(['inspect', 'cnt']))[0].State.Status, 'paused');
  const a = await readFileIn('cnt', '/tmp/cnt');
  await new Promise((r) => setTimeout(r, 600));
  const b = await readFileIn('cnt', '/tmp/cnt');
  assert.equal(b, a, 'counter moved while paused');
  await ok(['unpause', 'cnt']);
  assert.ok(await until(async () => Number(await readFileIn('cnt', '/tmp/cnt')) > Number(a) + 2, 10_000), 'counter did not resume');
  await ok(['rm', '-f', 'cnt']);
});

test('update raises the memory limit of a running container and persists it', async () => {
  await ok(['run', '-d', '--name', 'up', '-m', '32m', 'busybox', 'sleep', '1000']);
  const id = await idOf('up');
  const layout = detectCgroupLayout();
  const dirs = containerCgroupDirs(layout, id);
  const memFile = dirs.version === 1 ? path.join(dirs.dirs.memory!, 'memory.limit_in_bytes') : path.join(dirs.dir, 'memory.max');
  assert.equal(Number(fs.readFileSync(memFile, 'utf8')), 32 * 1024 * 1024);
  await ok(['update', '-m', '128m', 'up']);
  assert.equal(Number(fs.readFileSync(memFile, 'utf8')), 128 * 1024 * 1024);
  assert.equal((await stats('up', 'stream=false&one-shot=true')).memory_stats.limit, 128 * 1024 * 1024);
  await ok(['update', '--memory', '64m', '--memory-swap', '96m', '--cpus', '0.5', '--pids-limit', '50', '--cpu-shares', '512', '--restart', 'on-failure:2', 'up']);
  assert.equal(Number(fs.readFileSync(memFile, 'utf8')), 64 * 1024 * 1024);
  const hc = JSON.parse(await ok(['inspect', 'up']))[0].HostConfig;
  assert.equal(hc.Memory, 64 * 1024 * 1024);
  assert.equal(hc.MemorySwap, 96 * 1024 * 1024);
  assert.equal(hc.NanoCpus, 5e8);
  assert.equal(hc.PidsLimit, 50);
  assert.equal(hc.CpuShares, 512);
  assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  if (dirs.version === 1) {
    assert.equal(fs.readFileSync(path.join(dirs.dirs.cpu!, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    assert.equal(fs.readFileSync(path.join(dirs.dirs.pids!, 'pids.max'), 'utf8').trim(), '50');
  }
  const bad = await d.docker(['update', '-m', '200m', 'up']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Memory limit should be smaller than already set memoryswap limit/);
  // Persisted: survives a daemon restart.
  await d.restart();
  assert.equal(JSON.parse(await ok(['inspect', 'up']))[0].HostConfig.Memory, 64 * 1024 * 1024);
  await ok(['rm', '-f', 'up']);
});

test('networks: eth0 counters from the container init\'s /proc/<pid>/net/dev', async () => {
  const h = await startNetDaemon();
  try {
    await h.ok(['run', '-d', '--name', 'net', 'busybox', 'sleep', '1000']);
    const r0 = await h.d.api('GET', '/containers/net/stats?stream=false&one-shot=true');
    const before = JSON.parse(r0.body).networks?.eth0;
    assert.ok(before, `no eth0 in ${r0.body}`);
    await h.ok(['exec', 'net', 'ping', '-c', '3', '-W', '1', h.gateway]);
    const after = JSON.parse((await h.d.api('GET', '/containers/net/stats?stream=false&one-shot=true')).body).networks.eth0;
    assert.ok(after.tx_packets >= before.tx_packets + 3, `${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.ok(after.rx_bytes > before.rx_bytes);
    assert.ok(!('lo' in JSON.parse((await h.d.api('GET', '/containers/net/stats?stream=false&one-shot=true')).body).networks));
    await h.ok(['rm', '-f', 'net']);
  } finally {
    await h.close();
  }
});
