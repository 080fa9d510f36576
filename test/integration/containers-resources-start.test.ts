/**
 * What create and start take from HostConfig besides the common flags. Resources a container starts with, not only after `update`: --memory-reservation,
 * --memory-swappiness, --oom-kill-disable and --blkio-weight reach its cgroup (what the host's
 * cgroups cannot take is discarded, as dockerd does). Read from inside: runc mounts the
 * container's own cgroup at /sys/fs/cgroup.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
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

test('HostConfig.Annotations reach the OCI spec; an empty key and an isolation other than default are 400s', async () => {
  const c = await d.api('POST', '/containers/create?name=annot', { Image: 'bb', Cmd: ['sleep', '30'], HostConfig: { Annotations: { 'org.example.team': 'infra' } } });
  assert.equal(c.status, 201, c.body);
  assert.equal((await d.api('POST', '/containers/annot/start')).status, 204);
  const ps = await d.cli(['inspect', '-f', '{{json .HostConfig.Annotations}}', 'annot']);
  assert.equal(ps.stdout.trim(), '{"org.example.team":"infra"}');
  const spec = JSON.parse(fs.readFileSync(path.join(d.dataRoot, 'containers', c.json.Id, 'runtime-spec.json'), 'utf8'));
  assert.equal(spec.annotations?.['org.example.team'], 'infra');
  await d.cli(['rm', '-f', 'annot']);
  const empty = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { Annotations: { '': 'x' } } });
  assert.equal(empty.status, 400);
  assert.deepEqual(empty.json, { message: 'invalid Annotations: the empty string is not permitted as an annotation key' });
  const iso = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { Isolation: 'hyperv' } });
  assert.equal(iso.status, 400);
  assert.deepEqual(iso.json, { message: 'Invalid isolation: "hyperv" - linux only supports \'default\'' });
  assert.equal((await d.api('POST', '/containers/create?name=iso-default', { Image: 'bb', HostConfig: { Isolation: 'default' } })).status, 201);
  await d.cli(['rm', 'iso-default']);
});

test('StorageOpt is refused (no per-container quotas), with the storage driver\'s words', async () => {
  const r = await d.api('POST', '/containers/create?name=sopt', { Image: 'bb', HostConfig: { StorageOpt: { size: '1G' } } });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /--storage-opt is (supported only for overlay over xfs with 'pquota' mount option|not supported by the \w+ storage driver)/);
  assert.equal((await d.api('GET', '/containers/sopt/json')).status, 404);
});

test('--volume-driver: the driver of the volumes that name none; an unknown one is docker\'s 404 and leaves nothing', async () => {
  const named = await d.api('POST', '/containers/create?name=vd1', { Image: 'bb', HostConfig: { VolumeDriver: 'nosuch', Binds: ['vd-named:/data'] } });
  assert.equal(named.status, 404);
  assert.deepEqual(named.json, { message: 'create vd-named: error looking up volume plugin nosuch: plugin "nosuch" not found' });
  const anon = await d.api('POST', '/containers/create?name=vd2', { Image: 'bb', Volumes: { '/data': {} }, HostConfig: { VolumeDriver: 'nosuch' } });
  assert.equal(anon.status, 404);
  assert.match(anon.json.message, /^create [0-9a-f]{64}: error looking up volume plugin nosuch: plugin "nosuch" not found$/);
  for (const n of ['vd1', 'vd2']) assert.equal((await d.api('GET', `/containers/${n}/json`)).status, 404);
  assert.equal((await d.api('GET', '/volumes/vd-named')).status, 404);
  const ok = await d.cli(['run', '--rm', '--volume-driver', 'local', '-v', 'vd-local:/data', 'bb', 'sh', '-c', 'echo hi > /data/f && cat /data/f']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'hi');
  assert.equal((await d.api('GET', '/volumes/vd-local')).json.Driver, 'local');
  // --mount's own volume-driver wins over --volume-driver.
  const m = await d.api('POST', '/containers/create?name=vd3', { Image: 'bb', HostConfig: { VolumeDriver: 'nosuch', Mounts: [{ Type: 'volume', Source: 'vd-mount', Target: '/m', VolumeOptions: { DriverConfig: { Name: 'local' } } }] } });
  assert.equal(m.status, 201, m.body);
  await d.cli(['rm', '-v', 'vd3']);
  await d.cli(['volume', 'rm', 'vd-local', 'vd-mount']);
});
