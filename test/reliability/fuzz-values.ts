/**
 * Hostile values for the API fuzzer (fuzz-api.test.ts): a seeded PRNG, per-type wrong values,
 * malformed JSON texts, bad names/ports/mounts/sizes/durations, traversal ids and query values.
 * Nothing here reaches past loopback: every value that could be read as a registry reference or a
 * URL names 127.0.0.1:1 (a closed port) or cannot parse.
 */

export type Rng = () => number;

/** mulberry32: small, fast, reproducible from one 32-bit seed. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

export function randomString(r: Rng, max = 40): string {
  const alphabet = 'abcXYZ019-_./:@%?#&=+ *!$\\\'"`{}[]<>|~^\u00e9\u4e2d\u0000\n\t\r';
  const n = Math.floor(r() * max);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Ids and names for a `{id}`/`{name}` path segment (already URL-encoded where it matters). */
export const HOSTILE_IDS = [
  '..%2F..%2Fetc', '..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc', '..', '...', '%2E%2E',
  '..%5C..%5Cwindows', '%00', 'a%00b', '%25', '%ff', '%c0%ae%c0%ae', 'x'.repeat(5000), '%20', '-', '--help',
  '%2F', 'sha256%3A' + '0'.repeat(64), 'sha256%3Azz', '%E2%80%AE', 'A%0D%0AX-Injected%3A%201', '*', '%3Cscript%3E',
  '0', '-1', '9'.repeat(40), 'null', 'undefined', '__proto__', 'constructor', 'toString',
];

/** Whole-path traversals (the server cleans or refuses them, never routes outside). */
export const HOSTILE_PATH_TAILS = ['../../etc/passwd', '/../../../etc/shadow', '/./././', '//', '/%2e%2e/%2e%2e/etc'];

export const MALFORMED_JSON = [
  '{', '}', '{"a":', '{"a":1,}', '[1,2', 'nul', 'tru', '"unterminated', "{'a':1}", '{"a":1}{"b":2}',
  '\u0000', '\ufeff{}', '{"a":"\\ud800"}', '{"a":"\\x"}', '{"a":01}', '{"a":1e999999}', '{"a":-}', 'NaN', 'Infinity',
  '[]', 'null', 'true', '0', '"str"', '123456789012345678901234567890', '[' .repeat(5000) + ']'.repeat(5000),
  '{"a":'.repeat(3000) + '1' + '}'.repeat(3000), '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"x":1}}}',
];

/** A value of another JSON type than `type`. */
export function wrongType(r: Rng, type: string): unknown {
  const all: Record<string, unknown[]> = {
    string: [1, -1, 1.5, true, false, null, {}, [], ['a'], { a: 1 }, 1e308],
    integer: ['1', 'abc', '', true, null, {}, [], [1], 1.5, -1, 2 ** 64, -(2 ** 63) - 4096, 1e308, 'NaN'],
    number: ['1', 'abc', true, null, {}, [], -1, 1e308],
    boolean: ['true', 'yes', 1, 0, null, {}, [], 'x'],
    array: ['a', 1, true, null, {}, { 0: 'a' }, [null], [1, 'a', {}], [[[]]]],
    object: ['a', 1, true, null, [], [1], ['a=b'], { '': '' }, { a: { b: { c: [] } } }],
    any: ['a', 1, true, null, [], {}],
  };
  return pick(r, all[type] ?? all['any']!);
}

/** Query values by parameter type, plus ones that mean something to a given name. */
export function hostileQuery(r: Rng, name: string, type: string): string {
  const byName: Record<string, string[]> = {
    filters: ['{', '[]', 'null', '"x"', '{"label":"x"}', '{"label":["a=b"]}', '{"dangling":["maybe"]}', '{"until":["abc"]}',
      '{"until":["-1"]}', '{"until":["99999999999999999999"]}', '{"bogus":["x"]}', '{"status":["zzz"]}', '{"before":["..%2F.."]}',
      '{"label":{"a":true}}', '{"label":{"a":"yes"}}', '{"reference":["[[["]}', '{"id":[1]}', '{"since":["nope"]}', '{"type":["x"]}',
      '{"driver":[null]}', '{"dangling":[true]}', '{"name":["(?<"]}', '{"until":["1h"]}', '{"until":["-1h"]}'],
    since: ['abc', '-1', '1e20', '99999999999999999999', '1.5.5', '2024-13-45T99:99:99Z', '-1h', '1h', '', '0.x'],
    until: ['abc', '-1', '1e20', '99999999999999999999', '1.5.5', '2024-13-45T99:99:99Z', '-1h', '', '0.x'],
    tail: ['-1', '-5', 'abc', 'all', '99999999999999999999', '1e3', '0x10', ''],
    signal: ['SIGBOGUS', 'BOGUS', '999', '-1', '0', '65', 'sigkill', 'SIG', '', '9'.repeat(30)],
    t: ['-1', 'abc', '1e30', '-99999999999', '1.5', '', 'NaN'],
    timeout: ['-1', 'abc', '1e30', ''],
    h: ['-1', 'abc', '99999999999', '0', '1e5', '65536'],
    w: ['-1', 'abc', '99999999999', '0', '1e5', '65536'],
    condition: ['bogus', '', 'next-exit ', 'NOT-RUNNING'],
    path: ['../../etc', '/../../etc/passwd', '', 'relative/x', '/proc/self/root', '/..', '/%00', '/\u0000', '/' + 'a/'.repeat(2000), '/etc/../../../'],
    name: ['', '/', 'a/b', '..', '../../etc', 'x'.repeat(300), 'bad name', '-x', '.x', '/x/', '\u0000', 'a:b', 'UPPER!!'],
    platform: ['bogus', 'linux/bogus', 'windows/amd64', '////', 'linux/amd64/v9/x', ''],
    ps_args: ['-bogus', '--help', 'aux; rm -rf /', 'x'.repeat(1000), '-o pid,\u0000'],
    detachKeys: ['ctrl-', 'ctrl-bogus', 'a,b,c,', ',,,', 'ctrl-@,ctrl-[', 'x'.repeat(300)],
    changes: ['BOGUS x', 'CMD', 'ENV', 'EXPOSE 99999', 'EXPOSE abc', 'USER', 'WORKDIR relative', 'VOLUME [', 'LABEL =', 'HEALTHCHECK --interval=abc CMD true', 'ONBUILD ONBUILD x', 'FROM x'],
    'keep-storage': ['-1', 'abc', '1e30'],
    type: ['bogus', 'container,bogus', ''],
    version: ['-1', 'abc', '1e30'],
    dockerfile: ['../../etc/passwd', '/etc/passwd', '', '..', '\u0000', 'x'.repeat(5000)],
    t_build: ['', 'UPPER:x', 'a:' + 'b'.repeat(200), '::', '@'],
    extrahosts: ['bad', ':::', 'h:not-an-ip'],
    cachefrom: ['{', '["a"', '[1]', 'null'],
    buildargs: ['{', '[]', '{"a":1}', 'null'],
    labels: ['{', '[]', '{"a":1}', 'null'],
    shmsize: ['-1', 'abc', '1e30'],
    memory: ['-1', 'abc', '1e30'],
    memswap: ['-2', 'abc'],
    cpushares: ['-1', 'abc'],
    ulimits: ['{', '[{"Name":"bogus"}]', '[{"Name":"nofile","Soft":-1,"Hard":-5}]'],
    networkmode: ['bogus', 'container:../..', 'host:x'],
    message: ['\u0000', 'x'.repeat(10000)],
  };
  const typed: Record<string, string[]> = {
    boolean: ['maybe', '2', '-1', 'TRUE', 'yes', 'on', '', 'null', '1e3', '\u0000'],
    integer: ['abc', '1e400', '-99999999999999999999', '9'.repeat(30), 'NaN', '0x10', '1.5', '-1', '', 'Infinity'],
    number: ['abc', '1e400', 'NaN', '-1', ''],
    string: ['', '\u0000', '%', '%%', 'x'.repeat(4096), '..%2F..', '../../etc', '{', '[]'],
    array: ['', '{', '[1]', 'a,b,,'],
  };
  const pool = byName[name] ?? typed[type] ?? typed['string']!;
  return r() < 0.85 ? pick(r, pool) : randomString(r);
}

/**
 * Values for parameters that could reach a registry or a URL: always loopback on a closed port,
 * or a string no reference parser accepts.
 */
export const OFFLINE_REFS = [
  '127.0.0.1:1/fuzz', '127.0.0.1:1/fuzz:tag', '127.0.0.1:1/Fuzz!!', '127.0.0.1:1/a@sha256:bad', '127.0.0.1:1/a@sha256:' + '0'.repeat(64),
  '127.0.0.1:1/' + 'a'.repeat(300), 'INVALID!!', '', '../../etc', '..%2F..', ':::', '@@', 'UPPER/Case!', '127.0.0.1:1/a:' + 'b'.repeat(200),
  '127.0.0.1:1/../x', '127.0.0.1:1/a//b', '-', 'http://127.0.0.1:1/x.tar', 'http://127.0.0.1:1/../../etc', 'file:///etc/passwd!', '\u0000',
];

/** Params whose value may name a registry or URL, by route. */
export function isOfflineParam(route: string, name: string): boolean {
  if (['fromImage', 'remote', 'term', 'fromSrc'].includes(name)) return true;
  if (name === 'name' && /^\/(images\/\{name\}\/push|distribution|plugins)/.test(route)) return true;
  return false;
}

/** Bodies (or fragments) that name bad names, ports, mounts, sizes and durations, by route. */
export function semanticMutations(route: string): Array<Record<string, unknown>> {
  if (route === '/containers/create' || route === '/commit') {
    return [
      { ExposedPorts: { '99999/tcp': {} } }, { ExposedPorts: { abc: {} } }, { ExposedPorts: { '-1/udp': {} } }, { ExposedPorts: { '80/sctpx': {} } },
      { ExposedPorts: { '1-2-3/tcp': {} } }, { ExposedPorts: ['80/tcp'] },
      { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } },
      { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: 'not-an-ip', HostPort: '1' }] } } },
      { HostConfig: { PortBindings: { x: [] } } }, { HostConfig: { PortBindings: { '80/tcp': 'str' } } },
      { HostConfig: { PortBindings: { '80/tcp': [null] } } }, { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '5-1' }] } } },
      { HostConfig: { PortBindings: { '1-70000/tcp': [{ HostPort: '' }] } } },
      { HostConfig: { Binds: [''] } }, { HostConfig: { Binds: [':'] } }, { HostConfig: { Binds: ['::'] } }, { HostConfig: { Binds: ['/a:/b:zz'] } },
      { HostConfig: { Binds: ['rel:/x'] } }, { HostConfig: { Binds: ['/a:rel'] } }, { HostConfig: { Binds: ['/a:/b:ro,rw'] } },
      { HostConfig: { Binds: ['../../etc:/x'] } }, { HostConfig: { Binds: ['/tmp:/'] } }, { HostConfig: { Binds: ['/tmp:/x:' + 'z'.repeat(500)] } },
      { HostConfig: { Binds: [null] } }, { HostConfig: { Binds: [1] } },
      { HostConfig: { Mounts: [{ Type: 'bind', Source: '', Target: '' }] } },
      { HostConfig: { Mounts: [{ Type: 'bind', Source: '../x', Target: '/x' }] } },
      { HostConfig: { Mounts: [{ Type: 'weird', Target: '/x' }] } },
      { HostConfig: { Mounts: [{ Type: 'volume', Source: '../../etc', Target: '/x' }] } },
      { HostConfig: { Mounts: [{ Type: 'volume', Source: 'v', Target: 'rel' }] } },
      { HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/x', TmpfsOptions: { SizeBytes: -1 } }] } },
      { HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Mode: 'abc' } }] } },
      { HostConfig: { Mounts: [{ Type: 'bind', Source: '/nonexistent-fuzz', Target: '/x' }] } },
      { HostConfig: { Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x', BindOptions: { Propagation: 'bogus' } }] } },
      { HostConfig: { Mounts: [null] } }, { HostConfig: { Mounts: ['str'] } }, { HostConfig: { Mounts: [{}] } },
      { HostConfig: { Mounts: [{ Type: 'volume', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'nope' } } }] } },
      { HostConfig: { Tmpfs: { '/x': 'size=abc' } } }, { HostConfig: { Tmpfs: { rel: '' } } }, { HostConfig: { Tmpfs: { '/x': 'size=-1' } } },
      { HostConfig: { Tmpfs: { '/x': 'bogus=1,,,' } } }, { HostConfig: { Tmpfs: ['x'] } },
      { HostConfig: { Memory: -1 } }, { HostConfig: { Memory: 1 } }, { HostConfig: { Memory: 1e30 } }, { HostConfig: { Memory: 2 ** 63 } },
      { HostConfig: { ShmSize: -5 } }, { HostConfig: { ShmSize: 1e300 } }, { HostConfig: { MemorySwap: -2 } }, { HostConfig: { MemorySwappiness: 500 } },
      { HostConfig: { NanoCpus: -1 } }, { HostConfig: { NanoCpus: 1e20 } }, { HostConfig: { CpuShares: -1 } }, { HostConfig: { CpuPeriod: 1 } },
      { HostConfig: { CpuQuota: 1 } }, { HostConfig: { CpusetCpus: 'abc' } }, { HostConfig: { CpusetCpus: '0-99999' } }, { HostConfig: { PidsLimit: -5 } },
      { HostConfig: { BlkioWeight: 5000 } }, { HostConfig: { StorageOpt: { size: 'abc' } } }, { HostConfig: { OomScoreAdj: 5000 } },
      { HostConfig: { Ulimits: [{ Name: 'nofile', Soft: -1, Hard: -5 }] } }, { HostConfig: { Ulimits: [{ Name: 'bogus' }] } },
      { HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] } },
      { HostConfig: { LogConfig: { Type: 'nope' } } }, { HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': 'abc' } } } },
      { HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-file': '-1' } } } }, { HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '-1k' } } } },
      { Healthcheck: { Test: ['CMD', 'true'], Interval: -1 } }, { Healthcheck: { Test: ['CMD', 'true'], Interval: 1 } },
      { Healthcheck: { Test: ['CMD', 'true'], Timeout: 1e30 } }, { Healthcheck: { Test: ['CMD', 'true'], Retries: -1 } },
      { Healthcheck: { Test: ['BOGUS'] } }, { Healthcheck: { Test: 'str' } }, { Healthcheck: { Test: [] } }, { StopTimeout: -5 }, { StopTimeout: 1e30 },
      { HostConfig: { RestartPolicy: { Name: 'bogus' } } }, { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } } },
      { HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } } }, { HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } },
      { HostConfig: { NetworkMode: 'container:../..' } }, { HostConfig: { NetworkMode: 'bogus' } }, { HostConfig: { NetworkMode: 'host:x' } },
      { HostConfig: { Dns: ['not-ip'] } }, { HostConfig: { ExtraHosts: ['bad'] } }, { HostConfig: { ExtraHosts: ['h:not-an-ip'] } },
      { HostConfig: { Devices: [{ PathOnHost: '../..' }] } }, { HostConfig: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: 'rel' }] } },
      { HostConfig: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'xyz' }] } },
      { HostConfig: { CapAdd: ['CAP_BOGUS'] } }, { HostConfig: { CapDrop: [''] } }, { HostConfig: { SecurityOpt: ['seccomp=/etc/passwd'] } },
      { HostConfig: { SecurityOpt: ['bogus'] } }, { HostConfig: { SecurityOpt: ['seccomp={'] } }, { HostConfig: { SecurityOpt: ['label=disable:x'] } },
      { HostConfig: { Sysctls: { 'kernel.bogus': '1' } } }, { HostConfig: { Sysctls: { 'net.ipv4.ip_forward': 'x' } } }, { HostConfig: { Sysctls: { '../../x': '1' } } },
      { User: '99999999999999999999' }, { User: 'nobody:nogroup:x' }, { WorkingDir: 'relative' }, { WorkingDir: '/../../..' }, { Entrypoint: 'str' },
      { Env: ['=x'] }, { Env: [''] }, { Env: ['A'] }, { Env: ['A=\u0000'] }, { Labels: { '': '' } }, { Hostname: 'x'.repeat(300) }, { Hostname: 'bad host' },
      { MacAddress: 'zz' }, { StopSignal: 'SIGBOGUS' }, { StopSignal: '999' }, { HostConfig: { VolumesFrom: ['../..'] } }, { HostConfig: { VolumesFrom: ['none:zz'] } },
      { HostConfig: { Links: ['bad'] } }, { HostConfig: { Links: [':::'] } }, { HostConfig: { CgroupParent: '../../..' } }, { HostConfig: { Init: 'x' } },
      { HostConfig: { IpcMode: 'container:../x' } }, { HostConfig: { PidMode: 'bogus' } }, { HostConfig: { UTSMode: 'bogus' } }, { HostConfig: { UsernsMode: 'bogus' } },
      { HostConfig: { CgroupnsMode: 'bogus' } }, { HostConfig: { Isolation: 'hyperv' } }, { HostConfig: { ConsoleSize: [-1, 99999999] } },
      { HostConfig: { GroupAdd: ['99999999999999999999'] } }, { HostConfig: { OomKillDisable: 'x' } }, { HostConfig: { Runtime: 'bogus' } },
      { HostConfig: { DeviceRequests: [{ Driver: 'bogus', Count: -1 }] } }, { HostConfig: { DeviceCgroupRules: ['bogus'] } },
      { HostConfig: { MaskedPaths: ['rel'] } }, { HostConfig: { ReadonlyPaths: ['../..'] } },
      { NetworkingConfig: { EndpointsConfig: { bogus: {} } } }, { NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { IPv4Address: 'x' } } } } },
      { Volumes: { rel: {} } }, { Volumes: { '/x': 'str' } }, { Image: '' }, { Image: 'UPPER!!' }, { Image: '../../etc' }, { Image: 'sha256:zz' },
      { Cmd: [] }, { Cmd: [''] }, { Cmd: ['\u0000'] }, { Shell: 'str' }, { OnBuild: 'x' },
    ];
  }
  if (route === '/containers/{id}/update') {
    return [
      { Memory: -1 }, { Memory: 1 }, { Memory: 1e30 }, { MemorySwap: -2 }, { NanoCpus: -1 }, { CpuShares: -1 }, { CpuQuota: 1 }, { CpusetCpus: 'abc' },
      { PidsLimit: -5 }, { BlkioWeight: 5000 }, { RestartPolicy: { Name: 'bogus' } }, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } },
      { KernelMemory: -1 }, { MemoryReservation: -1 }, { Ulimits: [{ Name: 'bogus' }] }, { CpuRealtimeRuntime: -1 }, { BlkioWeightDevice: [{ Path: '../x', Weight: -1 }] },
      { BlkioDeviceReadBps: [{ Path: 'rel', Rate: -1 }] }, { Devices: [{ PathOnHost: '../..' }] },
    ];
  }
  if (route === '/volumes/create') {
    return [
      { Name: '../../etc' }, { Name: '..' }, { Name: '/abs' }, { Name: 'x'.repeat(300) }, { Name: 'a/b' }, { Name: '\u0000' }, { Name: '.' }, { Name: '-x' },
      { Driver: 'bogus' }, { Driver: '' }, { DriverOpts: { type: 'bogus', device: 'x' } }, { DriverOpts: { o: 'size=abc', type: 'tmpfs', device: 'tmpfs' } },
      { DriverOpts: { bogus: '1' } }, { DriverOpts: { type: 'none', o: 'bind', device: '../../etc' } }, { DriverOpts: { type: 'none', o: 'bind', device: 'relative' } },
      { DriverOpts: { type: 'none', o: 'bind', device: '/nonexistent-fuzz' } }, { Labels: { '': '' } },
    ];
  }
  if (route === '/networks/create') {
    // Always an invalid network: a valid one would create a bridge on the host.
    return [
      { Name: '' }, { Name: '../x', Driver: 'bogus-fuzz' }, { Name: 'x'.repeat(300), Driver: 'bogus-fuzz' }, { Name: 'f', Driver: 'bogus-fuzz' },
      { Name: 'f', IPAM: { Config: [{ Subnet: 'abc' }] } }, { Name: 'f', IPAM: { Config: [{ Subnet: '10.250.0.0/33' }] } },
      { Name: 'f', IPAM: { Config: [{ Subnet: '10.250.0.0/16', Gateway: '11.0.0.1' }] } }, { Name: 'f', IPAM: { Config: [{ Subnet: '10.250.0.0/16', IPRange: 'x' }] } },
      { Name: 'f', IPAM: { Config: [{ Subnet: '10.250.0.0/16', IPRange: '10.251.0.0/24' }] } }, { Name: 'f', IPAM: { Config: [{ Subnet: '::1/200' }] }, EnableIPv6: true },
      { Name: 'f', IPAM: { Driver: 'bogus' } }, { Name: 'f', IPAM: { Config: 'x' } }, { Name: 'f', IPAM: { Config: [null] } },
      { Name: 'f', Driver: 'bogus-fuzz', Options: { 'com.docker.network.bridge.name': 'x'.repeat(40) } },
      { Name: 'f', Options: { 'com.docker.network.bridge.name': 'x'.repeat(40) } }, { Name: 'f', Options: { 'com.docker.network.driver.mtu': 'abc' } },
      { Name: 'f', Options: { 'com.docker.network.driver.mtu': '-1' } }, { Name: 'f', Options: { 'com.docker.network.bridge.name': '../x' } },
      { Name: 'f', Scope: 'bogus', Driver: 'bogus-fuzz' }, { Name: 'host' }, { Name: 'bridge' }, { Name: 'none' },
    ];
  }
  if (route === '/networks/{id}/connect' || route === '/networks/{id}/disconnect') {
    return [
      { Container: '' }, { Container: '../..' }, { Container: 'nope' }, { Container: 'fuzzctr', EndpointConfig: { IPAMConfig: { IPv4Address: 'x' } } },
      { Container: 'fuzzctr', EndpointConfig: { Aliases: [1] } }, { Container: 'fuzzctr', EndpointConfig: { MacAddress: 'zz' } },
    ];
  }
  if (route === '/containers/{id}/exec') {
    return [
      { Cmd: [] }, { Cmd: [''] }, { Cmd: 'str' }, { Cmd: ['true'], User: '99999999999999999999' }, { Cmd: ['true'], User: 'nobody:x:y' },
      { Cmd: ['true'], WorkingDir: 'rel' }, { Cmd: ['true'], Env: ['=x'] }, { Cmd: ['true'], DetachKeys: 'ctrl-bogus' }, { Cmd: ['true'], ConsoleSize: [-1, -1] },
      { Cmd: ['/nonexistent-fuzz'] }, { Cmd: ['true'], ConsoleSize: [1e9, 1e9] },
    ];
  }
  if (route === '/exec/{id}/start') {
    return [{ Detach: 'x' }, { Tty: 1 }, { ConsoleSize: [-1, -1] }, { ConsoleSize: [1e9] }, { ConsoleSize: 'x' }];
  }
  if (route === '/auth') {
    return [
      { serveraddress: '127.0.0.1:1' }, { serveraddress: 'http://127.0.0.1:1/../..' }, { serveraddress: 'https://127.0.0.1:1/v2/%00' },
      { username: 'x'.repeat(5000), serveraddress: '127.0.0.1:1' }, { serveraddress: 'unix://127.0.0.1:1/etc/passwd' }, { identitytoken: 1, serveraddress: '127.0.0.1:1' },
      { serveraddress: '127.0.0.1:1/../../etc' }, { serveraddress: '127.0.0.1:1:2' }, { serveraddress: '[127.0.0.1:1' },
    ];
  }
  return [];
}

/** A minimal valid body per JSON route (mutations start from it). Registry-facing fields stay offline. */
export function baseBody(route: string): Record<string, unknown> {
  switch (route) {
    case '/containers/create': return { Image: 'bb:latest', Cmd: ['true'] };
    case '/commit': return { Cmd: ['true'] };
    case '/containers/{id}/update': return { CpuShares: 512 };
    case '/auth': return { username: 'u', password: 'p', serveraddress: '127.0.0.1:1' };
    case '/containers/{id}/exec': return { Cmd: ['true'], AttachStdout: false };
    case '/exec/{id}/start': return { Detach: true };
    case '/volumes/create': return { Name: 'fuzzvol2' };
    case '/networks/create': return { Name: 'fuzznet', Driver: 'bogus-fuzz' };
    case '/networks/{id}/connect':
    case '/networks/{id}/disconnect': return { Container: 'fuzzctr' };
    default: return {};
  }
}

/** Sets `value` at a dotted path inside a copy of `base`. */
export function withField(base: Record<string, unknown>, dotted: string, value: unknown): Record<string, unknown> {
  const out = structuredClone(base);
  const parts = dotted.split('.');
  let o: Record<string, unknown> = out;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null || Array.isArray(o[p])) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]!] = value;
  return out;
}

/** Deep-merges a semantic fragment into a copy of `base`. */
export function merged(base: Record<string, unknown>, frag: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(base);
  for (const [k, v] of Object.entries(frag)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k])) {
      out[k] = merged(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}
