import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBytes } from '../../src/common/human.ts';
import { buildCreateBody, type BuildEnv } from '../../src/cli/run-flags.ts';
import type { RunOpts } from '../../src/cli/run-options.ts';
import {
  FlagError, parseDevice, parseDuration, parseEnvFile, parseGpus, parseMountSpec, parsePortSpecs, parseRestart, parseUlimit, parseVolumeSpec,
} from '../../src/cli/spec-parse.ts';

const env: BuildEnv = { cwd: '/work', readFile: (p) => ({ '/e': 'A=1\n# c\n\nB\n  C=x y\n', '/l': 'k=v\n' } as Record<string, string>)[p]!, lookupEnv: (k) => (k === 'B' ? 'fromenv' : undefined), parseBytes };

function opts(o: Partial<RunOpts> = {}): RunOpts {
  return {
    env: [], envFile: [], publish: [], volume: [], mount: [], tmpfs: [], volumesFrom: [], networkAlias: [], netAlias: [], dns: [], dnsSearch: [],
    dnsOption: [], addHost: [], link: [], ulimit: [], capAdd: [], capDrop: [], securityOpt: [], label: [], labelFile: [], device: [],
    deviceCgroupRule: [], logOpt: [], healthcheck: true, expose: [], sysctl: [], sigProxy: true, attach: [], pull: 'missing', groupAdd: [],
    annotation: [], storageOpt: [], ...o,
  };
}

test('-p forms → ExposedPorts and PortBindings', () => {
  const p = parsePortSpecs(['8080:80', '127.0.0.1:8081:81', '127.0.0.1::82', '83', '9000-9001:9000-9001/udp', '[::1]:7000:70']);
  assert.deepEqual(p.bindings['80/tcp'], [{ HostIp: '', HostPort: '8080' }]);
  assert.deepEqual(p.bindings['81/tcp'], [{ HostIp: '127.0.0.1', HostPort: '8081' }]);
  assert.deepEqual(p.bindings['82/tcp'], [{ HostIp: '127.0.0.1', HostPort: '' }]);
  assert.deepEqual(p.bindings['83/tcp'], [{ HostIp: '', HostPort: '' }]);
  assert.deepEqual(p.bindings['9000/udp'], [{ HostIp: '', HostPort: '9000' }]);
  assert.deepEqual(p.bindings['9001/udp'], [{ HostIp: '', HostPort: '9001' }]);
  assert.deepEqual(p.bindings['70/tcp'], [{ HostIp: '::1', HostPort: '7000' }]);
  assert.ok('83/tcp' in p.exposed && '9001/udp' in p.exposed);
  assert.deepEqual(parsePortSpecs(['8000-8010:80']).bindings['80/tcp'], [{ HostIp: '', HostPort: '8000-8010' }]);
});

test('-p errors use docker wording', () => {
  assert.throws(() => parsePortSpecs(['abc']), { message: 'invalid containerPort: abc' });
  assert.throws(() => parsePortSpecs(['x:80']), { message: 'invalid hostPort: x' });
  assert.throws(() => parsePortSpecs(['80/foo']), { message: 'invalid proto: foo' });
  assert.throws(() => parsePortSpecs(['8000-8002:80-81']), /invalid ranges specified for container and host Ports/);
});

test('-v: binds, named volumes, anonymous volumes', () => {
  assert.deepEqual(parseVolumeSpec('/h:/c:ro'), { kind: 'bind', source: '/h', target: '/c', mode: 'ro' });
  assert.deepEqual(parseVolumeSpec('data:/c'), { kind: 'volume', source: 'data', target: '/c', mode: '' });
  assert.deepEqual(parseVolumeSpec('/data'), { kind: 'anonymous', source: '', target: '/data', mode: '' });
  assert.equal(parseVolumeSpec('./x:/c', '/work').source, '/work/x');
  assert.throws(() => parseVolumeSpec('a:b:c:d'), { message: 'invalid spec: a:b:c:d: too many colons' });
  assert.throws(() => parseVolumeSpec(''), { message: 'invalid empty volume spec' });
  const b = buildCreateBody(opts({ volume: ['/h:/c', 'named:/n', '/anon'] }), 'busybox', [], env);
  assert.deepEqual(b.HostConfig.Binds, ['/h:/c', 'named:/n']);
  assert.deepEqual(b.Volumes, { '/anon': {} });
});

test('--mount CSV', () => {
  assert.deepEqual(parseMountSpec('type=bind,src=/a,dst=/b,readonly', parseBytes), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
  assert.deepEqual(parseMountSpec('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770', parseBytes), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 67108864, Mode: 0o1770 } });
  assert.deepEqual(parseMountSpec('source=v,target=/v,volume-nocopy', parseBytes), { Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true } });
  assert.throws(() => parseMountSpec('type=bind,src=/a', parseBytes), { message: 'invalid argument "type=bind,src=/a" for "--mount" flag: target is required' });
  assert.throws(() => parseMountSpec('type=bind,foo=1,target=/x', parseBytes), /unexpected key 'foo' in 'foo=1'/);
});

test('--ulimit, --restart, --gpus, --device, durations', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Soft: 1024, Hard: 2048 });
  assert.deepEqual(parseUlimit('nproc=10'), { Name: 'nproc', Soft: 10, Hard: 10 });
  assert.throws(() => parseUlimit('bogus=1'), { message: 'invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus' });
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
  assert.throws(() => parseUlimit('nofile=10:5'), /ulimit soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.deepEqual(parseRestart('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(parseRestart('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.throws(() => parseRestart(':3'), { message: 'invalid restart policy format: no policy provided before colon' });
  assert.throws(() => parseRestart('on-failure:x'), { message: 'invalid restart policy format: maximum retry count must be an integer' });
  assert.deepEqual(parseGpus('all'), { Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} });
  assert.deepEqual(parseGpus('"device=0,1",capabilities=compute').DeviceIDs, ['0', '1']);
  assert.deepEqual(parseGpus('"device=0,1",capabilities=compute').Capabilities, [['compute', 'gpu']]);
  assert.deepEqual(parseDevice('/dev/sda:/dev/xvda:r'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' });
  assert.deepEqual(parseDevice('/dev/fuse'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
  assert.equal(parseDuration('1m30s'), 90e9);
  assert.equal(parseDuration('500ms'), 5e8);
  assert.throws(() => parseDuration('5'), FlagError);
});

test('--env-file and -e', () => {
  assert.deepEqual(parseEnvFile('A=1\n# c\n\nB\n  C=x y\n', 'f', (k) => (k === 'B' ? 'v' : undefined)), ['A=1', 'B=v', 'C=x y']);
  assert.throws(() => parseEnvFile('BAD NAME=1', 'f'), { message: "variable 'BAD NAME' contains whitespaces" });
  const b = buildCreateBody(opts({ envFile: ['/e'], env: ['X=2', 'B', 'UNSET'], labelFile: ['/l'], label: ['a=b'] }), 'img', ['sh'], env);
  assert.deepEqual(b.Env, ['A=1', 'B=fromenv', 'C=x y', 'X=2', 'B=fromenv', 'UNSET']);
  assert.deepEqual(b.Labels, { k: 'v', a: 'b' });
});

test('create body: resources, rm, restart conflict, network, attach', () => {
  const b = buildCreateBody(opts({ rm: true, cpus: '1.5', memory: '64m', shmSize: '1g', gpus: 'all', ulimit: ['nofile=5:6'], publish: ['8080:80'], network: 'mynet', networkAlias: ['web'], ip: '10.0.0.5', interactive: true, tty: true }), 'busybox', ['sh'], env);
  const h = b.HostConfig as Record<string, unknown>;
  assert.equal(h.AutoRemove, true);
  assert.equal(h.NanoCpus, 1_500_000_000);
  assert.equal(h.Memory, 64 * 1024 * 1024);
  assert.equal(h.ShmSize, 1024 ** 3);
  assert.deepEqual(h.DeviceRequests, [{ Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} }]);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 5, Hard: 6 }]);
  assert.deepEqual(h.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(h.NetworkMode, 'mynet');
  assert.deepEqual(b.NetworkingConfig.EndpointsConfig.mynet, { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.0.0.5' } });
  assert.deepEqual(b.ExposedPorts, { '80/tcp': {} });
  assert.equal(b.AttachStdin, true);
  assert.equal(b.OpenStdin, true);
  assert.equal(b.StdinOnce, true);
  assert.equal(b.Tty, true);
  assert.deepEqual(b.Cmd, ['sh']);
  assert.throws(() => buildCreateBody(opts({ rm: true, restart: 'always' }), 'x', [], env), { message: 'conflicting options: cannot specify both --restart and --rm' });
  assert.throws(() => buildCreateBody(opts({ memory: 'lots' }), 'x', [], env), { message: `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'` });
  assert.throws(() => buildCreateBody(opts({ cpus: 'x' }), 'x', [], env), /failed to parse x as a rational number/);
  const d = buildCreateBody(opts({ detach: true }), 'x', [], env);
  assert.equal(d.AttachStdout, false);
  assert.equal(d.HostConfig.NetworkMode, 'default');
  assert.equal(d.Cmd, null);
  const e = buildCreateBody(opts({ entrypoint: '' }), 'x', [], env);
  assert.deepEqual(e.Entrypoint, ['']);
  const hc = buildCreateBody(opts({ healthCmd: 'true', healthInterval: '5s', healthRetries: '3' }), 'x', [], env);
  assert.deepEqual(hc.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 3 });
  assert.deepEqual(buildCreateBody(opts({ healthcheck: false }), 'x', [], env).Healthcheck, { Test: ['NONE'] });
});
