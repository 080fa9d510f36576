/** CDI specs: parsing (JSON and YAML), validation messages, the registry's priorities and conflicts, resolution and edits applied to an OCI config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CdiResolveError, applyContainerEdits, buildRuntimeSpec, isQualifiedName, loadCdiRegistry, parseCdiSpec, parseQualifiedName, resolveCdiDevices,
} from '../../src/oci/index.ts';
import { parseYaml } from '../../src/common/yaml-lite.ts';

const NVIDIA_YAML = `---
cdiVersion: 0.5.0
containerEdits:
  deviceNodes:
  - path: /dev/nvidiactl
  env:
  - NVIDIA_VISIBLE_DEVICES=void
  hooks:
  - args:
    - nvidia-cdi-hook
    - update-ldcache
    - --folder
    - /usr/lib/x86_64-linux-gnu
    hookName: createContainer
    path: /usr/bin/nvidia-cdi-hook
  mounts:
  - containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15
    hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15
    options:
    - ro
    - nosuid
    - nodev
    - bind
devices:
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: "0"
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: GPU-11111111-2222-3333-4444-555555555555
- containerEdits:
    deviceNodes: [{path: /dev/nvidia0}, {path: '/dev/nvidia1'}]
  name: all
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia1
  name: 1
kind: nvidia.com/gpu
`;

test('qualified names', () => {
  assert.deepEqual(parseQualifiedName('nvidia.com/gpu=all'), { vendor: 'nvidia.com', cls: 'gpu', name: 'all' });
  assert.ok(isQualifiedName('vendor.com/class=GPU-1234:mig.1'));
  for (const bad of ['/dev/null', 'nvidia.com/gpu', 'gpu=all', 'nvidia.com/gpu/x=all', 'nvidia.com/gpu=', 'nvidia.com/gpu=-a', '1vendor/x=y']) assert.ok(!isQualifiedName(bad), bad);
});

test('a YAML spec as nvidia-ctk writes it', () => {
  const s = parseCdiSpec(NVIDIA_YAML, '/etc/cdi/nvidia.yaml');
  assert.equal(s.kind, 'nvidia.com/gpu');
  assert.deepEqual(s.devices.map((d) => d.name), ['0', 'GPU-11111111-2222-3333-4444-555555555555', 'all', '1']);
  assert.deepEqual(s.devices[2]!.containerEdits.deviceNodes, [{ path: '/dev/nvidia0' }, { path: '/dev/nvidia1' }]);
  assert.deepEqual(s.containerEdits!.hooks, [{ hookName: 'createContainer', path: '/usr/bin/nvidia-cdi-hook', args: ['nvidia-cdi-hook', 'update-ldcache', '--folder', '/usr/lib/x86_64-linux-gnu'] }]);
  assert.deepEqual(s.containerEdits!.mounts![0]!.options, ['ro', 'nosuid', 'nodev', 'bind']);
});

test('invalid specs are refused with a message naming the problem', () => {
  const base = { cdiVersion: '0.6.0', kind: 'vendor.com/dev', devices: [{ name: 'a', containerEdits: { env: ['A=1'] } }] };
  const bad = (patch: Record<string, unknown>, re: RegExp) => assert.throws(() => parseCdiSpec(JSON.stringify({ ...base, ...patch }), 'x.json'), re);
  bad({ cdiVersion: undefined }, /cdiVersion is required/);
  bad({ cdiVersion: '9.9.9' }, /unsupported cdiVersion "9\.9\.9"/);
  bad({ kind: 'novendor' }, /invalid kind "novendor"/);
  bad({ kind: 'vendor.com/a/b' }, /invalid kind/);
  bad({ devices: [] }, /at least one device/);
  bad({ devices: [{ name: 'a b', containerEdits: { env: ['A=1'] } }] }, /invalid device name "a b"/);
  bad({ devices: [{ name: 'a', containerEdits: { env: ['A=1'] } }, { name: 'a', containerEdits: { env: ['A=1'] } }] }, /device "a" is defined twice/);
  bad({ devices: [{ name: 'a', containerEdits: {} }] }, /device "a" has no container edits/);
  bad({ devices: [{ name: 'a', containerEdits: { env: ['NOEQUALS'] } }] }, /invalid environment variable "NOEQUALS"/);
  bad({ devices: [{ name: 'a', containerEdits: { deviceNodes: [{ path: 'dev/x' }] } }] }, /deviceNodes\[0\]\.path "dev\/x" is not an absolute path/);
  bad({ devices: [{ name: 'a', containerEdits: { deviceNodes: [{ path: '/dev/x', type: 'z' }] } }] }, /invalid device type "z"/);
  bad({ devices: [{ name: 'a', containerEdits: { deviceNodes: [{ path: '/dev/x', permissions: 'rwx' }] } }] }, /invalid permissions "rwx"/);
  bad({ devices: [{ name: 'a', containerEdits: { deviceNodes: [{ path: '/dev/x', major: -1 }] } }] }, /major must be an integer >= 0/);
  bad({ devices: [{ name: 'a', containerEdits: { mounts: [{ hostPath: '/a', containerPath: 'rel' }] } }] }, /containerPath "rel" is not an absolute path/);
  bad({ devices: [{ name: 'a', containerEdits: { mounts: [{ containerPath: '/a' }] } }] }, /hostPath is required/);
  bad({ devices: [{ name: 'a', containerEdits: { hooks: [{ hookName: 'preStart', path: '/bin/true' }] } }] }, /invalid hook name "preStart"/);
  bad({ devices: [{ name: 'a', containerEdits: { hooks: [{ hookName: 'poststop', path: '/bin/true', timeout: 0 }] } }] }, /timeout must be an integer >= 1/);
  assert.throws(() => parseCdiSpec('cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n  - name: x\n    bad indent: 1\n   oops: 2\n', 'x.yaml'), /failed to parse: line 6/);
  assert.throws(() => parseCdiSpec('[1, 2]', 'x.yaml'), /not a CDI spec/);
});

test('registry: later directories win, same-directory duplicates conflict, bad files are reported', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cdi-unit-'));
  try {
    const a = path.join(tmp, 'etc');
    const b = path.join(tmp, 'run');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    const spec = (kind: string, name: string, env: string) => JSON.stringify({ cdiVersion: '0.6.0', kind, devices: [{ name, containerEdits: { env: [env] } }] });
    fs.writeFileSync(path.join(a, 'one.json'), spec('v.com/x', 'd', 'FROM=etc'));
    fs.writeFileSync(path.join(b, 'one.json'), spec('v.com/x', 'd', 'FROM=run'));
    fs.writeFileSync(path.join(a, 'c1.json'), spec('v.com/c', 'dup', 'N=1'));
    fs.writeFileSync(path.join(a, 'c2.yaml'), `cdiVersion: "0.6.0"\nkind: v.com/c\ndevices:\n- name: dup\n  containerEdits:\n    env: [N=2]\n`);
    fs.writeFileSync(path.join(a, 'broken.json'), '{"cdiVersion": ');
    fs.writeFileSync(path.join(a, 'ignored.txt'), 'not a spec');
    const reg = loadCdiRegistry([a, b, path.join(tmp, 'missing')]);
    assert.deepEqual([...reg.devices.keys()].sort(), ['v.com/x=d']);
    assert.deepEqual(resolveCdiDevices(reg, ['v.com/x=d']), [{ env: ['FROM=run'] }]);
    assert.equal(reg.errors.length, 2);
    assert.match(reg.errors.join('\n'), /broken\.json: failed to parse/);
    assert.match(reg.errors.join('\n'), /c2\.yaml: device v\.com\/c=dup is also defined in .*c1\.json/);
    assert.throws(() => resolveCdiDevices(reg, ['v.com/c=dup']), (e: Error) => e instanceof CdiResolveError
      && /^CDI device injection failed: unresolvable CDI devices v\.com\/c=dup; CDI spec errors: /.test(e.message));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('edits applied to an OCI config: spec-level once, then devices; nodes from the host where numbers are absent', () => {
  const s = parseCdiSpec(NVIDIA_YAML, 'nvidia.yaml');
  const reg = { devices: new Map(s.devices.map((device) => [`${s.kind}=${device.name}`, { qualified: `${s.kind}=${device.name}`, spec: s, device, file: 'nvidia.yaml', priority: 0 }])), errors: [] };
  const edits = resolveCdiDevices(reg, ['nvidia.com/gpu=0', 'nvidia.com/gpu=all']);
  assert.equal(edits.length, 3, 'the spec edits once, then each device');
  const spec = buildRuntimeSpec({ rootfs: '/r', args: ['x'], env: ['NVIDIA_VISIBLE_DEVICES=all'], mounts: [{ destination: '/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15', type: 'bind', source: '/elsewhere', options: ['rbind'] }] });
  const statDevice = (p: string) => {
    const m = /^\/dev\/nvidia(\d+|ctl)$/.exec(p);
    if (!m) throw new Error('no such device');
    return { type: 'c' as const, major: 195, minor: m[1] === 'ctl' ? 255 : Number(m[1]), mode: 0o666 };
  };
  applyContainerEdits(spec, edits, { statDevice });
  assert.deepEqual(spec.linux.devices!.filter((d) => d.path.startsWith('/dev/nvidia')), [
    { path: '/dev/nvidiactl', type: 'c', major: 195, minor: 255, fileMode: 0o666 },
    { path: '/dev/nvidia0', type: 'c', major: 195, minor: 0, fileMode: 0o666 },
    { path: '/dev/nvidia1', type: 'c', major: 195, minor: 1, fileMode: 0o666 },
  ], 'a node named twice appears once');
  assert.deepEqual(spec.linux.resources!.devices!.slice(-4), [
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'c', major: 195, minor: 255, access: 'rwm' },
    { allow: true, type: 'c', major: 195, minor: 0, access: 'rwm' },
    { allow: true, type: 'c', major: 195, minor: 1, access: 'rwm' },
  ]);
  assert.deepEqual(spec.process.env.filter((e) => e.startsWith('NVIDIA_')), ['NVIDIA_VISIBLE_DEVICES=void'], 'spec env replaces the container\'s');
  const libs = spec.mounts.filter((m) => m.destination.endsWith('libcuda.so.550.54.15'));
  assert.deepEqual(libs, [{ destination: '/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15', type: 'bind', source: '/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15', options: ['ro', 'nosuid', 'nodev', 'bind'] }], 'a CDI mount replaces one at the same destination');
  assert.deepEqual(spec.hooks!.createContainer, [{ path: '/usr/bin/nvidia-cdi-hook', args: ['nvidia-cdi-hook', 'update-ldcache', '--folder', '/usr/lib/x86_64-linux-gnu'] }]);
  // A node missing on the host is the request's problem, named.
  const missing = parseCdiSpec(JSON.stringify({ cdiVersion: '0.6.0', kind: 'v.com/x', devices: [{ name: 'gone', containerEdits: { deviceNodes: [{ path: '/dev/gone' }] } }] }));
  assert.throws(() => applyContainerEdits(buildRuntimeSpec({ rootfs: '/r', args: ['x'] }), [missing.devices[0]!.containerEdits], { statDevice }), /CDI device injection failed: device node \/dev\/gone: no such device/);
});

test('additional gids, fifo nodes and mount defaults', () => {
  const spec = buildRuntimeSpec({ rootfs: '/r', args: ['x'], user: { uid: 1000, gid: 1000, additionalGids: [5], home: '/' } });
  applyContainerEdits(spec, [{
    additionalGids: [44, 5, 0],
    deviceNodes: [{ path: '/dev/fifo', type: 'p' }, { path: '/dev/blk', type: 'b', major: 8, minor: 0, permissions: 'r' }],
    mounts: [{ hostPath: '/a/b', containerPath: '/x/y/z' }, { hostPath: 'tmpfs', containerPath: '/x', type: 'tmpfs', options: ['size=1m'] }],
  }]);
  assert.deepEqual(spec.process.user.additionalGids, [5, 44]);
  assert.deepEqual(spec.linux.devices!.slice(-2), [{ path: '/dev/fifo', type: 'p', major: 0, minor: 0 }, { path: '/dev/blk', type: 'b', major: 8, minor: 0 }]);
  assert.deepEqual(spec.linux.resources!.devices!.at(-1), { allow: true, type: 'b', major: 8, minor: 0, access: 'r' });
  assert.deepEqual(spec.mounts.slice(-2), [
    { destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
    { destination: '/x/y/z', type: 'bind', source: '/a/b', options: ['bind'] },
  ], 'parents first; bind gets its flag');
});

test('yaml-lite: the subset tools write, and clear refusals', () => {
  assert.deepEqual(parseYaml('a: 1\nb: "two # not a comment"  # a comment\nc:\n  - x\n  - {k: v, n: [1, 2.5, true, null]}\nd: \'it\'\'s\'\ne: ~\nf: 0o755\n'), {
    a: 1, b: 'two # not a comment', c: ['x', { k: 'v', n: [1, 2.5, true, null] }], d: "it's", e: null, f: 0o755,
  });
  assert.deepEqual(parseYaml('- a: 1\n  b:\n  - 2\n-\n  c: 3\n- plain text here\n'), [{ a: 1, b: [2] }, { c: 3 }, 'plain text here']);
  assert.deepEqual(parseYaml('key:\n- 1\n- 2\nother: x\n'), { key: [1, 2], other: 'x' });
  assert.deepEqual(parseYaml('"quoted key": "\\u00e9\\n"\n'), { 'quoted key': 'é\n' });
  assert.equal(parseYaml('# only a comment\n'), null);
  assert.throws(() => parseYaml('a: |\n  text\n'), /line 1: block scalars are not supported/);
  assert.throws(() => parseYaml('a: &x 1\n'), /unsupported YAML syntax/);
  assert.throws(() => parseYaml('a: 1\na: 2\n'), /line 2: duplicate key "a"/);
  assert.throws(() => parseYaml('---\na: 1\n---\nb: 2\n'), /only one document/);
  assert.throws(() => parseYaml('a: [1, 2\n'), /unterminated flow collection/);
  assert.throws(() => parseYaml('a:\n\tb: 1\n'), /tabs/);
});

test('CLI: --device with a CDI name becomes a cdi device request; paths stay device mappings', async () => {
  const { buildCreateBody } = await import('../../src/cli/run-flags.ts');
  const { parseGpus } = await import('../../src/cli/spec-parse.ts');
  const o = {
    env: [], envFile: [], publish: [], volume: [], mount: [], tmpfs: [], volumesFrom: [], networkAlias: [], netAlias: [], dns: [], dnsSearch: [],
    dnsOption: [], addHost: [], link: [], ulimit: [], capAdd: [], capDrop: [], securityOpt: [], label: [], labelFile: [],
    device: ['/dev/fuse', 'nvidia.com/gpu=all', 'vendor.com/x=1'], deviceCgroupRule: [], logOpt: [], healthcheck: true, expose: [], sysctl: [],
    sigProxy: true, attach: [], pull: 'missing', groupAdd: [], annotation: [], storageOpt: [], gpus: '"device=0,1"',
  };
  const body = buildCreateBody(o as never, 'img', [], { readFile: () => '', lookup: () => undefined } as never);
  const h = body.HostConfig as Record<string, unknown>;
  assert.deepEqual(h.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
  assert.deepEqual(h.DeviceRequests, [
    parseGpus('"device=0,1"'),
    { Driver: 'cdi', Count: 0, DeviceIDs: ['nvidia.com/gpu=all', 'vendor.com/x=1'], Capabilities: [], Options: {} },
  ]);
});

test('an empty cdi-spec-dirs turns CDI off', async () => {
  const { resolveDeviceRequests } = await import('../../src/oci/index.ts');
  assert.throws(() => resolveDeviceRequests([{ Driver: 'cdi', DeviceIDs: ['v.com/x=d'] }], { env: [], rootfs: '', cdiSpecDirs: [] }),
    { message: 'could not select device driver "cdi" with capabilities: [] (CDI is off: the daemon\'s cdi-spec-dirs is empty)' });
});
