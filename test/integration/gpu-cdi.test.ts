/**
 * Devices through CDI on a real daemon (no GPU needed: a spec names /dev/null under another
 * name), the `--gpus` refusal where the host has no NVIDIA driver (nothing left behind), info's
 * CDI and GPU lines, and the shm/ipc/memlock flags PyTorch's DataLoader needs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
let tmp: string;
let etcDir: string;
let runDir: string;
const hasNvidia = fs.existsSync('/dev/nvidiactl') || /\bnvidia/.test(fs.readFileSync('/proc/devices', 'utf8'));

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cdi-'));
  etcDir = path.join(tmp, 'etc-cdi');
  runDir = path.join(tmp, 'run-cdi');
  fs.mkdirSync(etcDir);
  fs.mkdirSync(runDir);
  fs.writeFileSync(path.join(tmp, 'payload.txt'), 'from the host\n');
  fs.writeFileSync(path.join(etcDir, 'null.json'), JSON.stringify({
    cdiVersion: '0.6.0',
    kind: 'wharf.test/null',
    containerEdits: { env: ['CDI_SPEC_LEVEL=1'] },
    devices: [
      {
        name: 'zero',
        containerEdits: {
          env: ['CDI_DEVICE=zero'],
          deviceNodes: [{ path: '/dev/wharf-null', hostPath: '/dev/null', permissions: 'rw' }],
          mounts: [{ hostPath: path.join(tmp, 'payload.txt'), containerPath: '/opt/cdi/payload.txt', options: ['ro', 'nosuid', 'nodev', 'bind'] }],
          hooks: [{ hookName: 'createContainer', path: '/bin/sh', args: ['sh', '-c', `cat /proc/self/mountinfo > ${path.join(tmp, 'hook-mountinfo')}`] }],
        },
      },
      { name: 'one', containerEdits: { env: ['CDI_DEVICE_ONE=1'] } },
      { name: 'kmsg', containerEdits: { deviceNodes: [{ path: '/dev/wharf-kmsg', hostPath: '/dev/kmsg', permissions: 'r' }] } },
    ],
  }));
  // YAML, as nvidia-ctk writes it; /var/run/cdi's copy of a device wins over /etc/cdi's.
  fs.writeFileSync(path.join(runDir, 'other.yaml'), [
    '---',
    'cdiVersion: 0.5.0',
    'kind: wharf.test/yaml   # a comment',
    'devices:',
    '- name: "a"',
    '  containerEdits:',
    '    env:',
    '    - YAML_DEVICE=a',
    '    deviceNodes:',
    '    - path: /dev/wharf-yaml-null',
    '      hostPath: /dev/null',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(etcDir, 'override.json'), JSON.stringify({ cdiVersion: '0.6.0', kind: 'wharf.test/yaml', devices: [{ name: 'a', containerEdits: { env: ['YAML_DEVICE=from-etc'] } }] }));
  fs.writeFileSync(path.join(etcDir, 'broken.yaml'), 'cdiVersion: 0.6.0\nkind: wharf.test/broken\ndevices:\n- name: bad\n  containerEdits:\n    deviceNodes:\n    - path: relative/node\n');
  fs.writeFileSync(path.join(tmp, 'daemon.json'), JSON.stringify({ 'cdi-spec-dirs': [etcDir, runDir] }));
  d = await startDaemon({ configFile: path.join(tmp, 'daemon.json') });
  await importBusybox(d);
});

after(async () => {
  await d?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function containerCount(): Promise<number> {
  return (await d.api('GET', '/containers/json?all=1')).json.length;
}

test('--device vendor/class=name injects the CDI device: node, env, mounts, hooks, spec-level edits', async () => {
  const r = await d.cli(['run', '--rm', '--device', 'wharf.test/null=zero', 'bb', 'sh', '-c',
    'echo x > /dev/wharf-null && ls -l /dev/wharf-null && echo "$CDI_SPEC_LEVEL $CDI_DEVICE" && cat /opt/cdi/payload.txt && (echo y > /opt/cdi/payload.txt 2>/dev/null && echo writable || echo read-only)']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^crw-rw-rw-\s+1 root\s+root\s+1,\s+3 .*\/dev\/wharf-null$/);
  assert.deepEqual(lines.slice(1), ['1 zero', 'from the host', 'read-only']);
  // The createContainer hook ran where the container's mounts are (before pivot_root).
  assert.match(fs.readFileSync(path.join(tmp, 'hook-mountinfo'), 'utf8'), /\/opt\/cdi\/payload\.txt/);
});

test('the cgroup allows the CDI node with its permissions only', { skip: !fs.existsSync('/dev/kmsg') }, async () => {
  const r = await d.cli(['run', '--rm', '--device', 'wharf.test/null=kmsg', 'bb', 'sh', '-c', 'cat /sys/fs/cgroup/devices/devices.list 2>/dev/null || echo v2; echo x > /dev/wharf-kmsg && echo wrote || echo refused']);
  assert.equal(r.code, 0, r.stderr);
  if (!r.stdout.startsWith('v2')) assert.match(r.stdout, /^c 1:11 r$/m);
  assert.match(r.stdout, /refused\n$/);
});

test('CDI through the API (DeviceRequests driver cdi) and inspect shows the request', async () => {
  const c = await d.api('POST', '/containers/create?name=cdi-api', {
    Image: 'bb', Cmd: ['sh', '-c', 'echo "$YAML_DEVICE $CDI_DEVICE_ONE"; test -c /dev/wharf-yaml-null && echo node'],
    HostConfig: { DeviceRequests: [{ Driver: 'cdi', DeviceIDs: ['wharf.test/yaml=a', 'wharf.test/null=one'] }] },
  });
  assert.equal(c.status, 201, c.body);
  const i = await d.api('GET', '/containers/cdi-api/json');
  assert.deepEqual(i.json.HostConfig.DeviceRequests, [{ Driver: 'cdi', Count: 0, DeviceIDs: ['wharf.test/yaml=a', 'wharf.test/null=one'], Capabilities: null, Options: null }]);
  assert.equal((await d.api('POST', '/containers/cdi-api/start')).status, 204);
  await d.api('POST', '/containers/cdi-api/wait');
  const logs = await d.cli(['logs', 'cdi-api']);
  assert.equal(logs.stdout, 'a 1\nnode\n', 'the later directory wins');
  await d.cli(['rm', 'cdi-api']);
  // A CDI name in HostConfig.Devices (podman's habit, clients that pass --device through) becomes a cdi request.
  const dev = await d.api('POST', '/containers/create?name=cdi-devices', {
    Image: 'bb', Cmd: ['true'], HostConfig: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n2', CgroupPermissions: 'rwm' }, { PathOnHost: 'wharf.test/null=one', PathInContainer: '', CgroupPermissions: '' }] },
  });
  assert.equal(dev.status, 201, dev.body);
  const di = (await d.api('GET', '/containers/cdi-devices/json')).json.HostConfig;
  assert.deepEqual(di.Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n2', CgroupPermissions: 'rwm' }]);
  assert.deepEqual(di.DeviceRequests, [{ Driver: 'cdi', Count: 0, DeviceIDs: ['wharf.test/null=one'], Capabilities: null, Options: null }]);
  await d.cli(['rm', 'cdi-devices']);
});

test('unknown and invalid CDI devices are refused clearly, and nothing is left behind', async () => {
  const before = await containerCount();
  const r = await d.cli(['run', '--rm', '--device', 'wharf.test/null=nope', 'bb', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /CDI device injection failed: unresolvable CDI devices wharf\.test\/null=nope/);
  const b = await d.cli(['create', '--device', 'wharf.test/broken=bad', 'bb', 'true']);
  assert.equal(b.code, 125);
  assert.match(b.stderr, /broken\.yaml: device "bad" containerEdits\.deviceNodes\[0\]\.path "relative\/node" is not an absolute path/);
  const api = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { DeviceRequests: [{ Driver: 'cdi', DeviceIDs: ['not-qualified'] }] } });
  assert.equal(api.status, 400);
  assert.match(api.json.message, /not fully qualified CDI device names/);
  const bad = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { DeviceRequests: [{ Driver: 'cdi', DeviceIDs: 'x' }] } });
  assert.equal(bad.status, 400);
  assert.equal(await containerCount(), before);
});

test('--gpus without an NVIDIA driver: docker\'s error, exit 125, no container left behind', { skip: hasNvidia }, async () => {
  const before = await containerCount();
  for (const args of [['run', '--rm', '--gpus', 'all'], ['run', '--gpus', '2'], ['create', '--gpus', '"device=0,1","capabilities=compute,utility"']]) {
    const r = await d.cli([...args, 'bb', 'true']);
    assert.equal(r.code, 125, args.join(' '));
    assert.match(r.stderr, /could not select device driver "" with capabilities: \[\[(gpu|compute utility gpu)\]\]: no GPU devices found on this host/);
  }
  const other = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { DeviceRequests: [{ Driver: 'tpu', Count: 1, Capabilities: [['tpu']] }] } });
  assert.equal(other.status, 400);
  assert.equal(other.json.message, 'could not select device driver "tpu" with capabilities: [[tpu]]');
  assert.equal(await containerCount(), before);
});

test('info lists the CDI spec directories and the devices they define', async () => {
  const i = await d.api('GET', '/info');
  assert.deepEqual(i.json.CDISpecDirs, [etcDir, runDir]);
  assert.deepEqual(i.json.DiscoveredDevices.map((x: { ID: string }) => x.ID), ['wharf.test/null=kmsg', 'wharf.test/null=one', 'wharf.test/null=zero', 'wharf.test/yaml=a']);
  assert.ok(Array.isArray(i.json.GPUs));
  const cli = await d.cli(['info']);
  assert.match(cli.stdout, / CDI spec directories:\n  .*etc-cdi\n  .*run-cdi\n/);
  assert.match(cli.stdout, /  cdi: wharf\.test\/null=zero/);
  const docker = await d.docker(['info', '--format', '{{json .CDISpecDirs}}']);
  assert.equal(docker.code, 0, docker.stderr);
  assert.deepEqual(JSON.parse(docker.stdout), [etcDir, runDir]);
});

test('--shm-size 8g, --ipc host and --ulimit memlock=-1 together', async () => {
  const shm = await d.cli(['run', '--rm', '--shm-size', '8g', '--ulimit', 'memlock=-1', 'bb', 'sh', '-c', 'df -k /dev/shm | tail -1; ulimit -l']);
  assert.equal(shm.code, 0, shm.stderr);
  const [dfLine, memlock] = shm.stdout.trim().split('\n');
  assert.equal(dfLine!.trim().split(/\s+/)[1], String(8 * 1024 * 1024));
  // unlimited where the daemon may raise limits (CAP_SYS_RESOURCE); else its own hard limit.
  const limits = fs.readFileSync('/proc/self/limits', 'utf8');
  const canRaise = ((BigInt('0x' + /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) >> 24n) & 1n) === 1n;
  const hard = /^Max locked memory\s+\S+\s+(\S+)/m.exec(limits)![1]!;
  assert.equal(memlock, canRaise || hard === 'unlimited' ? 'unlimited' : String(Number(hard) / 1024));
  // An unlimited hard limit reaches runc as RLIM_INFINITY itself: the shell says "unlimited".
  if (/^Max file size\s+\S+\s+unlimited/m.test(limits)) {
    const f = await d.cli(['run', '--rm', '--ulimit', 'fsize=-1', 'bb', 'sh', '-c', 'ulimit -f']);
    assert.equal(f.stdout, 'unlimited\n', f.stderr);
  }
  const host = await d.cli(['run', '--rm', '--ipc', 'host', '--shm-size', '8g', '--ulimit', 'memlock=-1', 'bb', 'sh', '-c', 'readlink /proc/1/ns/ipc; df -k /dev/shm | tail -1']);
  assert.equal(host.code, 0, host.stderr);
  assert.equal(host.stdout.split('\n')[0], fs.readlinkSync('/proc/self/ns/ipc'));
  // The host's /dev/shm, as docker binds it (--shm-size does not apply to it).
  const hostShm = fs.statfsSync('/dev/shm');
  assert.equal(host.stdout.split('\n')[1]!.trim().split(/\s+/)[1], String((hostShm.blocks * hostShm.bsize) / 1024));
});

test('the docker CLI: --device with a CDI name and --gpus reach the daemon as docker 28 sends them', async () => {
  const r = await d.docker(['run', '--rm', '--device', 'wharf.test/null=zero', 'bb', 'sh', '-c', 'echo "$CDI_DEVICE"; test -c /dev/wharf-null && echo node']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'zero\nnode\n');
  if (!hasNvidia) {
    const g = await d.docker(['run', '--rm', '--gpus', 'all', 'bb', 'true']);
    assert.equal(g.code, 125);
    assert.match(g.stderr, /could not select device driver "" with capabilities: \[\[gpu\]\]/);
  }
});
