/**
 * NVIDIA discovery and `--gpus` on a fake GPU host: a temp root with /dev, /proc/driver/nvidia,
 * libraries, binaries and firmware, with /proc/devices and `ldconfig -p` given as text; the OCI
 * config each `--gpus` form produces, field by field.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  applyContainerEdits, ldcacheHook, buildRuntimeSpec, charMajors, driverCapabilities, driverVersionFrom, parseLdconfig, probeNvidia,
  resolveDeviceRequests, selectGpus, DeviceRequestError, type NvidiaHost, type RuntimeSpec,
} from '../../src/oci/index.ts';
import { parseGpus } from '../../src/cli/spec-parse.ts';

const VER = '550.54.15';
const LIB = '/usr/lib/x86_64-linux-gnu';
const UUID0 = 'GPU-11111111-2222-3333-4444-555555555555';
const UUID1 = 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const PROC_DEVICES = `Character devices:
  1 mem
  4 /dev/vc/0
195 nvidia-frontend
226 drm
509 nvidia-uvm
510 nvidia-caps

Block devices:
  7 loop
195 notachar
`;
const LIBS = ['libcuda', 'libnvidia-ml', 'libnvidia-ptxjitcompiler', 'libnvidia-nvvm', 'libnvidia-encode', 'libnvidia-glcore', 'libnvidia-gpucomp', 'libnvidia-sandboxutils'];
const SONAME: Record<string, string> = { 'libnvidia-nvvm': '4', 'libnvidia-glcore': VER };

let root: string;
let ldconfig: string;
let host: NvidiaHost;

function write(p: string, text = ''): void {
  fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  fs.writeFileSync(path.join(root, p), text);
}
function link(p: string, target: string): void {
  fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  fs.symlinkSync(target, path.join(root, p));
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-fakegpu-'));
  for (const n of ['nvidia0', 'nvidia1', 'nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-modeset', 'nvidia-caps/nvidia-cap1', 'nvidia-caps/nvidia-cap2', 'nvidia-caps/README']) write(`/dev/${n}`);
  write('/proc/driver/nvidia/version', `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  ${VER}  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Feb 20 2024\nGCC version:  gcc version 12.2.0\n`);
  // Bus order differs from minor order: nvidia-smi's index 0 is the GPU on the lower bus (minor 1).
  write('/proc/driver/nvidia/gpus/0000:3b:00.0/information', `Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 42\nGPU UUID: \t ${UUID0}\nBus Location: \t 0000:3b:00.0\nDevice Minor: \t 0\nGPU Excluded:\t No\n`);
  write('/proc/driver/nvidia/gpus/0000:19:00.0/information', `Model: \t\t NVIDIA H100 80GB HBM3\nGPU UUID: \t ${UUID1}\nBus Location: \t 0000:19:00.0\nDevice Minor: \t 1\n`);
  const lines = ['1234 libs found in cache `/etc/ld.so.cache\''];
  for (const l of LIBS) {
    write(`${LIB}/${l}.so.${VER}`, 'ELF');
    const so = `${l}.so.${SONAME[l] ?? '1'}`;
    if (so !== `${l}.so.${VER}`) link(`${LIB}/${so}`, `${l}.so.${VER}`);
    lines.push(`\t${so} (libc6,x86-64) => ${LIB}/${so}`);
  }
  // A dev link (same target: listed once), a 32-bit copy (compat32, not this ABI), a library of another version.
  link(`${LIB}/libcuda.so`, 'libcuda.so.1');
  lines.push(`\tlibcuda.so (libc6,x86-64) => ${LIB}/libcuda.so`);
  write(`/usr/lib/i386-linux-gnu/libcuda.so.${VER}`);
  link('/usr/lib/i386-linux-gnu/libcuda.so.1', `libcuda.so.${VER}`);
  lines.push('\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1');
  write(`${LIB}/libnvidia-egl-gbm.so.1.1.1`);
  link(`${LIB}/libnvidia-egl-gbm.so.1`, 'libnvidia-egl-gbm.so.1.1.1');
  lines.push(`\tlibnvidia-egl-gbm.so.1 (libc6,x86-64) => ${LIB}/libnvidia-egl-gbm.so.1`);
  lines.push(`\tlibz.so.1 (libc6,x86-64) => ${LIB}/libz.so.1`);
  ldconfig = lines.join('\n') + '\n';
  write('/usr/bin/nvidia-smi', '#!');
  write('/usr/bin/nvidia-debugdump', '#!');
  write('/usr/bin/nvidia-cuda-mps-control', '#!');
  write(`/lib/firmware/nvidia/${VER}/gsp_ga10x.bin`);
  write(`/lib/firmware/nvidia/${VER}/gsp_tu10x.bin`);
  write('/run/nvidia-persistenced/socket');
  write('/sbin/ldconfig', 'ELF');
  host = probeNvidia({ root, procDevices: PROC_DEVICES, ldconfig, arch: 'x64' })!;
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

const R = (p: string) => path.join(root, p);

test('/proc/devices and ldconfig -p parsing', () => {
  const m = charMajors(PROC_DEVICES);
  assert.equal(m.get('nvidia-frontend'), 195);
  assert.equal(m.get('nvidia-uvm'), 509);
  assert.equal(m.get('notachar'), undefined, 'block devices are not character majors');
  const e = parseLdconfig('\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n\tlibfoo.so.2 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/libfoo.so.2\nnot an entry\n');
  assert.deepEqual(e, [
    { soname: 'libcuda.so.1', flags: 'libc6,x86-64', path: '/usr/lib/x86_64-linux-gnu/libcuda.so.1' },
    { soname: 'libfoo.so.2', flags: 'libc6,x86-64, OS ABI: Linux 3.2.0', path: '/lib/libfoo.so.2' },
  ]);
  assert.equal(driverVersionFrom('NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023'), '535.104.05');
});

test('device discovery from a fake /dev and /proc', () => {
  assert.equal(host.driverVersion, VER);
  assert.deepEqual(host.gpus, [
    { index: 0, minor: 1, path: '/dev/nvidia1', uuid: UUID1, name: 'NVIDIA H100 80GB HBM3', busId: '0000:19:00.0' },
    { index: 1, minor: 0, path: '/dev/nvidia0', uuid: UUID0, name: 'NVIDIA H100 80GB HBM3', busId: '0000:3b:00.0' },
  ]);
  assert.deepEqual(host.controlNodes.map((n) => [n.path, n.major, n.minor]), [
    ['/dev/nvidiactl', 195, 255], ['/dev/nvidia-uvm', 509, 0], ['/dev/nvidia-uvm-tools', 509, 1], ['/dev/nvidia-modeset', 195, 254],
    ['/dev/nvidia-caps/nvidia-cap1', 510, 1], ['/dev/nvidia-caps/nvidia-cap2', 510, 2],
  ]);
});

test('no driver: nothing discovered; without /proc/driver files GPUs are numbered by minor', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-nogpu-'));
  try {
    assert.equal(probeNvidia({ root: empty, procDevices: 'Character devices:\n  1 mem\n', ldconfig: '' }), undefined);
    fs.mkdirSync(path.join(empty, 'dev'));
    for (const n of ['nvidia3', 'nvidia1', 'nvidiactl', 'nvidia-uvm-tools-not']) fs.writeFileSync(path.join(empty, 'dev', n), '');
    const h = probeNvidia({ root: empty, procDevices: 'Character devices:\n195 nvidia\n', ldconfig: '' })!;
    assert.deepEqual(h.gpus.map((g) => [g.index, g.path]), [[0, '/dev/nvidia1'], [1, '/dev/nvidia3']]);
    assert.deepEqual(h.controlNodes.map((n) => n.path), ['/dev/nvidiactl'], 'no uvm major, no uvm nodes');
    assert.equal(h.driverVersion, '');
    assert.deepEqual(h.libraries, []);
    // The driver's list counts even where nothing created the /dev nodes yet (runc makes them).
    fs.rmSync(path.join(empty, 'dev'), { recursive: true });
    fs.mkdirSync(path.join(empty, 'proc/driver/nvidia/gpus/0000:01:00.0'), { recursive: true });
    fs.writeFileSync(path.join(empty, 'proc/driver/nvidia/gpus/0000:01:00.0/information'), 'Model: \t\t Tesla T4\nDevice Minor: \t 0\n');
    const bare = probeNvidia({ root: empty, procDevices: 'Character devices:\n195 nvidia-frontend\n', ldconfig: '' })!;
    assert.deepEqual(bare.gpus, [{ index: 0, minor: 0, path: '/dev/nvidia0', name: 'Tesla T4', busId: '0000:01:00.0' }]);
    assert.deepEqual(bare.controlNodes.map((n) => `${n.path} ${n.major}:${n.minor}`), ['/dev/nvidiactl 195:255']);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('library discovery from fake ldconfig -p: every .so.<driver version> of this ABI, once', () => {
  assert.deepEqual(host.libraries.map((l) => l.file.path).sort(), LIBS.map((l) => `${LIB}/${l}.so.${VER}`).sort());
  for (const l of host.libraries) assert.equal(l.file.source, R(l.file.path));
  const caps = Object.fromEntries(host.libraries.map((l) => [path.basename(l.file.path).replace(/\.so\..*/, ''), l.caps]));
  assert.deepEqual(caps.libcuda, ['compute']);
  assert.deepEqual(caps['libnvidia-ml'], ['utility']);
  assert.deepEqual(caps['libnvidia-encode'], ['video']);
  assert.equal(caps['libnvidia-sandboxutils'], '', 'unknown driver libraries go with any capability');
  assert.deepEqual(host.binaries.map((b) => b.file.path), ['/usr/bin/nvidia-smi', '/usr/bin/nvidia-debugdump', '/usr/bin/nvidia-cuda-mps-control']);
  assert.deepEqual(host.firmware.map((f) => f.path), [`/lib/firmware/nvidia/${VER}/gsp_ga10x.bin`, `/lib/firmware/nvidia/${VER}/gsp_tu10x.bin`]);
  assert.deepEqual(host.sockets.map((s) => s.file.path), ['/run/nvidia-persistenced/socket']);
  assert.equal(host.ldconfig, R('/sbin/ldconfig'));
});

test('selection: indices, UUIDs (and prefixes), all, none; unknown devices refused', () => {
  assert.deepEqual(selectGpus(host, 'all').map((g) => g.index), [0, 1]);
  assert.deepEqual(selectGpus(host, '1,0').map((g) => g.index), [1, 0]);
  assert.deepEqual(selectGpus(host, UUID0).map((g) => g.minor), [0]);
  assert.deepEqual(selectGpus(host, 'GPU-aaaaaaaa').map((g) => g.minor), [1]);
  assert.deepEqual(selectGpus(host, 'none'), []);
  assert.throws(() => selectGpus(host, '2'), /nvidia: device error: 2: unknown device/);
  assert.throws(() => selectGpus(host, 'GPU-nope'), /unknown device/);
  assert.deepEqual(driverCapabilities(undefined), ['utility', 'compute']);
  assert.equal(driverCapabilities('all').length, 7);
  assert.throws(() => driverCapabilities('compute,bogus'), /unsupported driver capability "bogus"/);
});

const ROOTFS = '/var/lib/wharf/overlay2/abc/merged';

function specFor(gpus: string, env: string[] = []): RuntimeSpec {
  const spec = buildRuntimeSpec({ rootfs: ROOTFS, args: ['nvidia-smi'], env, network: 'none' });
  applyContainerEdits(spec, resolveDeviceRequests([parseGpus(gpus)], { env, rootfs: ROOTFS, nvidia: () => host }));
  return spec;
}

const gpuDevices = (s: RuntimeSpec) => (s.linux.devices ?? []).filter((d) => d.path.startsWith('/dev/nvidia')).map((d) => `${d.path} ${d.type} ${d.major}:${d.minor} ${d.fileMode?.toString(8)}`);
const allowRules = (s: RuntimeSpec) => (s.linux.resources?.devices ?? []).filter((r) => r.major === 195 || r.major === 509 || r.major === 510).map((r) => `${r.allow ? 'allow' : 'deny'} ${r.type} ${r.major}:${r.minor} ${r.access}`);
const envOf = (s: RuntimeSpec, k: string) => s.process.env.filter((e) => e.startsWith(`${k}=`));
const mounted = (s: RuntimeSpec) => s.mounts.filter((m) => m.source?.startsWith(root)).map((m) => m.destination);
const CONTROL = ['/dev/nvidiactl c 195:255 666', '/dev/nvidia-uvm c 509:0 666', '/dev/nvidia-uvm-tools c 509:1 666', '/dev/nvidia-modeset c 195:254 666', '/dev/nvidia-caps/nvidia-cap1 c 510:1 666', '/dev/nvidia-caps/nvidia-cap2 c 510:2 666'];

test('--gpus all: every GPU and control node, allowed in the cgroup, compute+utility files, ld cache hook', () => {
  const s = specFor('all');
  assert.deepEqual(gpuDevices(s), ['/dev/nvidia1 c 195:1 666', '/dev/nvidia0 c 195:0 666', ...CONTROL]);
  assert.deepEqual(allowRules(s), ['allow c 195:1 rwm', 'allow c 195:0 rwm', 'allow c 195:255 rwm', 'allow c 509:0 rwm', 'allow c 509:1 rwm', 'allow c 195:254 rwm', 'allow c 510:1 rwm', 'allow c 510:2 rwm']);
  assert.deepEqual(s.linux.resources?.devices?.[0], { allow: false, access: 'rwm' }, 'still deny-all first');
  assert.deepEqual(envOf(s, 'NVIDIA_VISIBLE_DEVICES'), ['NVIDIA_VISIBLE_DEVICES=all']);
  assert.deepEqual(envOf(s, 'NVIDIA_DRIVER_CAPABILITIES'), [], 'docker sets no capabilities for plain --gpus');
  const m = mounted(s);
  for (const l of ['libcuda', 'libnvidia-ml', 'libnvidia-ptxjitcompiler', 'libnvidia-nvvm', 'libnvidia-gpucomp', 'libnvidia-sandboxutils']) assert.ok(m.includes(`${LIB}/${l}.so.${VER}`), l);
  for (const l of ['libnvidia-encode', 'libnvidia-glcore']) assert.ok(!m.includes(`${LIB}/${l}.so.${VER}`), `${l} is video/graphics`);
  assert.ok(m.includes('/usr/bin/nvidia-smi') && m.includes('/usr/bin/nvidia-cuda-mps-control'));
  assert.ok(m.includes(`/lib/firmware/nvidia/${VER}/gsp_ga10x.bin`));
  assert.ok(m.includes('/run/nvidia-persistenced/socket'));
  const cuda = s.mounts.find((x) => x.destination === `${LIB}/libcuda.so.${VER}`)!;
  assert.deepEqual(cuda, { destination: `${LIB}/libcuda.so.${VER}`, type: 'bind', source: R(`${LIB}/libcuda.so.${VER}`), options: ['ro', 'nosuid', 'nodev', 'bind'] });
  const hooks = s.hooks?.createContainer ?? [];
  assert.equal(hooks.length, 1);
  assert.equal(hooks[0]!.path, '/bin/sh');
  assert.deepEqual(hooks[0]!.args!.slice(3), ['wharf-ldcache', R('/sbin/ldconfig'), ROOTFS, LIB]);
  assert.match(hooks[0]!.args![2]!, /unshare --mount --propagation private -- "\$l" -r "\$r" "\$@"/);
});

test('--gpus 1 and "device=…" (index, UUID) choose the GPUs; control nodes always come along', () => {
  const one = specFor('1');
  assert.deepEqual(gpuDevices(one), ['/dev/nvidia1 c 195:1 666', ...CONTROL]);
  assert.deepEqual(envOf(one, 'NVIDIA_VISIBLE_DEVICES'), ['NVIDIA_VISIBLE_DEVICES=0']);
  const ids = specFor('"device=1"');
  assert.deepEqual(gpuDevices(ids).slice(0, 1), ['/dev/nvidia0 c 195:0 666']);
  assert.ok(!gpuDevices(ids).some((d) => d.startsWith('/dev/nvidia1 ')));
  const both = specFor('"device=0,1"');
  assert.deepEqual(gpuDevices(both).slice(0, 2), ['/dev/nvidia1 c 195:1 666', '/dev/nvidia0 c 195:0 666']);
  const uuid = specFor(`"device=${UUID0}"`);
  assert.deepEqual(gpuDevices(uuid).slice(0, 1), ['/dev/nvidia0 c 195:0 666']);
  assert.deepEqual(envOf(uuid, 'NVIDIA_VISIBLE_DEVICES'), [`NVIDIA_VISIBLE_DEVICES=${UUID0}`]);
  assert.throws(() => specFor('3'), (e: Error) => e instanceof DeviceRequestError && /2: unknown device/.test(e.message));
});

test('capabilities=… picks the driver files and is passed on as NVIDIA_DRIVER_CAPABILITIES', () => {
  const util = specFor('all,capabilities=utility');
  assert.deepEqual(envOf(util, 'NVIDIA_DRIVER_CAPABILITIES'), ['NVIDIA_DRIVER_CAPABILITIES=utility']);
  const m = mounted(util);
  assert.ok(m.includes(`${LIB}/libnvidia-ml.so.${VER}`) && m.includes('/usr/bin/nvidia-smi'));
  assert.ok(!m.includes(`${LIB}/libcuda.so.${VER}`) && !m.includes('/usr/bin/nvidia-cuda-mps-control'));
  const video = specFor('"device=0","capabilities=compute,utility,video"');
  assert.ok(mounted(video).includes(`${LIB}/libnvidia-encode.so.${VER}`));
  assert.deepEqual(envOf(video, 'NVIDIA_DRIVER_CAPABILITIES'), ['NVIDIA_DRIVER_CAPABILITIES=compute,utility,video']);
});

test('the image\'s NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES are honoured as the toolkit does', () => {
  // --gpus all with an image asking for graphics only: the image's capabilities apply.
  const g = specFor('all', ['NVIDIA_DRIVER_CAPABILITIES=graphics']);
  assert.ok(mounted(g).includes(`${LIB}/libnvidia-glcore.so.${VER}`));
  assert.ok(!mounted(g).includes(`${LIB}/libcuda.so.${VER}`));
  // The request's capabilities win over the image's.
  const u = specFor('all,capabilities=utility', ['NVIDIA_DRIVER_CAPABILITIES=all']);
  assert.ok(!mounted(u).includes(`${LIB}/libnvidia-glcore.so.${VER}`));
  assert.deepEqual(envOf(u, 'NVIDIA_DRIVER_CAPABILITIES'), ['NVIDIA_DRIVER_CAPABILITIES=utility']);
  // A request with no count and no IDs takes the image's NVIDIA_VISIBLE_DEVICES (pytorch images say all).
  const img = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: [['gpu']], Options: {} };
  const env = ['NVIDIA_VISIBLE_DEVICES=1', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility'];
  const edits = resolveDeviceRequests([img], { env, rootfs: ROOTFS, nvidia: () => host });
  assert.deepEqual(edits[0]!.deviceNodes!.map((n) => n.path).slice(0, 1), ['/dev/nvidia0']);
  const voided = resolveDeviceRequests([img], { env: ['NVIDIA_VISIBLE_DEVICES=void'], rootfs: ROOTFS, nvidia: () => host });
  assert.deepEqual(voided, []);
  // Without a request, the image's variables give nothing (as docker without the nvidia runtime).
  assert.deepEqual(resolveDeviceRequests([], { env: ['NVIDIA_VISIBLE_DEVICES=all'], rootfs: ROOTFS, nvidia: () => host }), []);
});

test('driver selection and the no-GPU error (docker\'s wording)', () => {
  const none = { env: [], rootfs: ROOTFS, nvidia: () => undefined };
  assert.throws(() => resolveDeviceRequests([parseGpus('all')], none), { message: 'could not select device driver "" with capabilities: [[gpu]]: no GPU devices found on this host (no NVIDIA driver is loaded)' });
  assert.throws(() => resolveDeviceRequests([{ Driver: 'amd', Count: -1, Capabilities: [['gpu']] }], { env: [], rootfs: '', nvidia: () => host }), { message: 'could not select device driver "amd" with capabilities: [[gpu]]' });
  assert.throws(() => resolveDeviceRequests([{ Count: 1, Capabilities: [] }], { env: [], rootfs: '', nvidia: () => host }), { message: 'could not select device driver "" with capabilities: []' });
  assert.equal(resolveDeviceRequests([{ Driver: 'nvidia', Count: 1, Capabilities: [['tpu'], ['nvidia', 'compute']] }], { env: [], rootfs: '', nvidia: () => host }).length, 1);
  const noGpus: NvidiaHost = { ...host, gpus: [] };
  assert.throws(() => resolveDeviceRequests([parseGpus('all')], { env: [], rootfs: '', nvidia: () => noGpus }), /no GPU devices found on this host$/);
  // Create time (no rootfs yet): no ld cache hook.
  assert.equal(resolveDeviceRequests([parseGpus('all')], { env: [], rootfs: '', nvidia: () => host })[0]!.hooks, undefined);
});

const LIBZ = (() => { try { return fs.realpathSync('/lib/x86_64-linux-gnu/libz.so.1'); } catch { return ''; } })();

test('the ld cache hook, run for real: soname links and /etc/ld.so.cache in the container root', { skip: process.getuid?.() !== 0 || !fs.existsSync('/sbin/ldconfig') || !LIBZ }, () => {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ldcache-'));
  try {
    fs.mkdirSync(path.join(r, 'etc'));
    fs.mkdirSync(path.join(r, 'opt/driver/lib'), { recursive: true });
    fs.copyFileSync(LIBZ, path.join(r, 'opt/driver/lib', path.basename(LIBZ)));
    const h = ldcacheHook('/sbin/ldconfig', r, ['/opt/driver/lib']);
    execFileSync(h.path, h.args.slice(1), { stdio: 'pipe' });
    assert.equal(fs.readlinkSync(path.join(r, 'opt/driver/lib/libz.so.1')), path.basename(LIBZ));
    assert.ok(fs.readFileSync(path.join(r, 'etc/ld.so.cache')).includes('/opt/driver/lib/libz.so.1'));
    // A root with no /etc takes no cache: the hook says so and lets the container start.
    fs.rmSync(path.join(r, 'etc'), { recursive: true });
    const res = spawnSync(h.path, h.args.slice(1), { encoding: 'utf8' });
    assert.equal(res.status, 0);
    assert.match(res.stderr, /ldconfig on the container root failed/);
  } finally {
    fs.rmSync(r, { recursive: true, force: true });
  }
});

test('--ulimit memlock=-1: unlimited where the daemon holds CAP_SYS_RESOURCE, else its own hard limit', async () => {
  const { buildRlimits, daemonHardLimits, hasCapSysResource } = await import('../../src/oci/index.ts');
  assert.equal(hasCapSysResource('CapEff:\t000001ffffffffff\n'), true);
  assert.equal(hasCapSysResource('CapEff:\t000001fffeffffff\n'), false, 'bit 24 clear');
  const limits = 'Max locked memory         8388608              8388608              bytes     \nMax open files            1024                 524288               files     \n';
  const memlock = [{ Name: 'memlock', Soft: -1, Hard: -1 }, { Name: 'nofile', Soft: 2000000, Hard: 2000000 }];
  assert.deepEqual(buildRlimits(memlock, daemonHardLimits(limits, false)), [
    { type: 'RLIMIT_MEMLOCK', soft: 8388608, hard: 8388608 }, { type: 'RLIMIT_NOFILE', soft: 524288, hard: 524288 },
  ]);
  assert.deepEqual(buildRlimits(memlock, daemonHardLimits(limits, true, '1048576\n')), [
    { type: 'RLIMIT_MEMLOCK', soft: Number.MAX_SAFE_INTEGER, hard: Number.MAX_SAFE_INTEGER }, { type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 },
  ]);
});

test('config.json carries RLIM_INFINITY exactly for unlimited rlimits', async () => {
  const { runtimeSpecJson } = await import('../../src/oci/index.ts');
  const text = runtimeSpecJson({ process: { rlimits: [{ type: 'RLIMIT_MEMLOCK', hard: Number.MAX_SAFE_INTEGER, soft: Number.MAX_SAFE_INTEGER }, { type: 'RLIMIT_NOFILE', hard: 1024, soft: 9007199254740991 }] } });
  assert.equal(text, '{"process":{"rlimits":[{"type":"RLIMIT_MEMLOCK","hard":18446744073709551615,"soft":18446744073709551615},{"type":"RLIMIT_NOFILE","hard":1024,"soft":18446744073709551615}]}}');
});
