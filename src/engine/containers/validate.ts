/**
 * Validation of `POST /containers/create`: everything that can be checked at create is
 * checked here with docker's messages (SECURITY-CHECKS appendix C), and the body is
 * normalised into Config + HostConfig with docker's defaults.
 */
import fs from 'node:fs';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import os from 'node:os';
import { CGROUPNS_MODES, type CgroupnsMode } from '../../api/types/container.ts';
import { InvalidArgumentError } from '../../common/errors.ts';
import { cgroupVersion } from '../../common/cgroups.ts';
import { parseBytes } from '../../common/human.ts';
import { isQualifiedName, parseDeviceCgroupRule } from '../../oci/index.ts';
import type { ContainerConfig, EndpointRequest, HealthConfig, HostConfig } from './record.ts';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
const MIN_MEMORY = 6 * 1024 * 1024;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function strList(v: unknown, field: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type []string`);
  return v as string[];
}

function num(v: unknown, field: string, dflt = 0): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type int64`);
  if (!isInt64(v)) throw new InvalidArgumentError(`json: cannot unmarshal number ${v} into Go struct field ${field} of type int64`);
  return v;
}

/** Whether a JSON number fits Go's int64 (what docker decodes these fields into). */
export function isInt64(v: number): boolean {
  return Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63;
}

/** The ids in a cpuset list ("0-2,4"), or undefined when it does not parse. */
function cpusetIds(list: string): number[] | undefined {
  if (!/^(\d+(-\d+)?)(,\d+(-\d+)?)*$/.test(list)) return undefined;
  const ids: number[] = [];
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    if (b! < a) return undefined;
    ids.push(a, b!);
  }
  return ids;
}

/** docker's check (sysinfo.IsCpusetCpusAvailable / Mems): every id must be online on this host. */
export function checkCpuset(what: 'CPUs' | 'Memory nodes', list: string): void {
  if (!list) return;
  const file = what === 'CPUs' ? '/sys/devices/system/cpu/online' : '/sys/devices/system/node/online';
  let online = what === 'CPUs' ? `0-${os.cpus().length - 1}` : '0';
  try { online = fs.readFileSync(file, 'utf8').trim(); } catch { /* no NUMA info: node 0 */ }
  const want = cpusetIds(list);
  const have = cpusetIds(online);
  if (!want) throw new InvalidArgumentError(`Invalid value ${list} for cpuset ${what === 'CPUs' ? 'cpus' : 'mems'}`);
  if (!have) return;
  const ranges = online.split(',').map((p) => p.split('-').map(Number));
  const ok = (n: number) => ranges.some(([a, b = a]) => n >= a! && n <= b!);
  // A range's ends are checked; a hole inside an online range cannot exist in /sys's list.
  if (!want.every(ok)) throw new InvalidArgumentError(`Requested ${what === 'CPUs' ? 'CPUs' : 'memory nodes'} are not available - requested ${list}, available: ${online}`);
}

/** docker's CFS bounds (daemon_unix.go): a period within [1ms, 1s], a quota of at least 1ms. */
export function checkCpuCfs(period: number, quota: number): void {
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
}

function bool(v: unknown, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type bool`);
  return v;
}

function str(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type string`);
  return v;
}

const PORT_RE = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/;
export function validatePortKey(p: string): void {
  const m = PORT_RE.exec(p);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535)) throw new InvalidArgumentError(`invalid port specification: "${p.replace(/\/(tcp|udp|sctp)$/, '')}"`);
}

export interface NormalisedCreate {
  config: ContainerConfig;
  hostConfig: HostConfig;
  networking: Record<string, EndpointRequest>;
}

function strMapField(v: unknown, field: string): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type map[string]string`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, str(x, field)]));
}

/** One EndpointSettings of create's EndpointsConfig or `network connect`, type-checked, as given. */
export function endpointRequest(raw: unknown): EndpointRequest {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) throw new InvalidArgumentError('json: cannot unmarshal EndpointSettings');
  const out: EndpointRequest = {};
  const aliases = strList(raw.Aliases, 'EndpointSettings.Aliases');
  if (aliases) out.Aliases = aliases.filter(Boolean);
  const links = strList(raw.Links, 'EndpointSettings.Links');
  if (links) out.Links = links;
  if (isObj(raw.IPAMConfig)) {
    const i = raw.IPAMConfig;
    const ipam: NonNullable<EndpointRequest['IPAMConfig']> = {};
    if (i.IPv4Address !== undefined) ipam.IPv4Address = str(i.IPv4Address, 'EndpointIPAMConfig.IPv4Address');
    if (i.IPv6Address !== undefined) ipam.IPv6Address = str(i.IPv6Address, 'EndpointIPAMConfig.IPv6Address');
    const ll = strList(i.LinkLocalIPs, 'EndpointIPAMConfig.LinkLocalIPs');
    if (ll) ipam.LinkLocalIPs = ll;
    if (ipam.IPv4Address && !isIPv4(ipam.IPv4Address)) throw new InvalidArgumentError(`invalid IPv4 address: ${ipam.IPv4Address}`);
    if (ipam.IPv6Address && !isIPv6(ipam.IPv6Address)) throw new InvalidArgumentError(`invalid IPv6 address: ${ipam.IPv6Address}`);
    for (const a of ll ?? []) if (!isIP(a)) throw new InvalidArgumentError(`Invalid link-local IP address: [${a}]`);
    out.IPAMConfig = ipam;
  }
  const mac = str(raw.MacAddress, 'EndpointSettings.MacAddress');
  if (mac) out.MacAddress = mac;
  const opts = strMapField(raw.DriverOpts, 'EndpointSettings.DriverOpts');
  if (opts) out.DriverOpts = opts;
  return out;
}

export function normaliseCreate(body: unknown): NormalisedCreate {
  if (body === undefined) throw new InvalidArgumentError('invalid JSON: EOF');
  if (!isObj(body)) throw new InvalidArgumentError('invalid JSON: expected an object');
  if (Object.keys(body).length === 0 || body.Image === undefined && body.Cmd === undefined && !body.HostConfig) {
    throw new InvalidArgumentError('Config cannot be empty in order to create a container');
  }
  const b = body;
  const env = strList(b.Env, 'ContainerConfigWrapper.Env') ?? [];
  for (const e of env) if (e === '' || e.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable: ${e}`);
  if (typeof b.Hostname === 'string' && b.Hostname.length > 64) throw new InvalidArgumentError(`invalid hostname ${JSON.stringify(b.Hostname.slice(0, 70))}…: longer than 64 characters (sethostname would refuse it)`);
  const exposed: Record<string, object> = {};
  if (b.ExposedPorts !== undefined && b.ExposedPorts !== null) {
    if (!isObj(b.ExposedPorts)) throw new InvalidArgumentError('json: cannot unmarshal ExposedPorts');
    for (const p of Object.keys(b.ExposedPorts)) { validatePortKey(p); exposed[p.includes('/') ? p : `${p}/tcp`] = {}; }
  }
  if (b.Labels !== undefined && b.Labels !== null) {
    if (!isObj(b.Labels)) throw new InvalidArgumentError(`json: cannot unmarshal ${Array.isArray(b.Labels) ? 'array' : typeof b.Labels} into Go struct field ContainerConfigWrapper.Labels of type map[string]string`);
    for (const v of Object.values(b.Labels)) {
      if (typeof v !== 'string' && v !== null) throw new InvalidArgumentError(`json: cannot unmarshal ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v} into Go struct field ContainerConfigWrapper.Labels of type string`);
    }
  }
  // Go decodes a null value of a map[string]string as "".
  const labels = isObj(b.Labels) ? Object.fromEntries(Object.entries(b.Labels).map(([k, v]) => [k, (v as string | null) ?? ''])) : {};
  const config: ContainerConfig = {
    Hostname: str(b.Hostname, 'Hostname'),
    Domainname: str(b.Domainname, 'Domainname'),
    User: str(b.User, 'User'),
    AttachStdin: bool(b.AttachStdin, 'AttachStdin'),
    AttachStdout: bool(b.AttachStdout, 'AttachStdout'),
    AttachStderr: bool(b.AttachStderr, 'AttachStderr'),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Tty: bool(b.Tty, 'Tty'),
    OpenStdin: bool(b.OpenStdin, 'OpenStdin'),
    StdinOnce: bool(b.StdinOnce, 'StdinOnce'),
    Env: env,
    Cmd: strList(b.Cmd, 'ContainerConfigWrapper.Cmd'),
    Image: str(b.Image, 'Image'),
    Volumes: isObj(b.Volumes) ? (b.Volumes as Record<string, object>) : null,
    WorkingDir: str(b.WorkingDir, 'WorkingDir'),
    Entrypoint: strList(b.Entrypoint, 'ContainerConfigWrapper.Entrypoint'),
    OnBuild: strList(b.OnBuild, 'OnBuild'),
    Labels: labels,
    StopSignal: b.StopSignal === undefined ? undefined : str(b.StopSignal, 'StopSignal') || undefined,
    StopTimeout: b.StopTimeout === undefined || b.StopTimeout === null ? undefined : num(b.StopTimeout, 'StopTimeout'),
    MacAddress: b.MacAddress === undefined ? undefined : str(b.MacAddress, 'MacAddress'),
    Healthcheck: normaliseHealthcheck(b.Healthcheck),
  };
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) throw new InvalidArgumentError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  if (!config.Image) throw new InvalidArgumentError('no image specified');
  validateHealthcheck(config.Healthcheck);
  const hostConfig = normaliseHostConfig(b.HostConfig);
  const networking: NormalisedCreate['networking'] = {};
  const nc = (b.NetworkingConfig as { EndpointsConfig?: Record<string, unknown> } | undefined)?.EndpointsConfig;
  if (isObj(nc)) for (const [k, v] of Object.entries(nc)) networking[k] = endpointRequest(v);
  return { config, hostConfig, networking };
}

/** `Config.Healthcheck` as docker stores it: Test plus the non-zero durations (ns) and Retries. */
function normaliseHealthcheck(raw: unknown): HealthConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObj(raw)) throw new InvalidArgumentError(`json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go struct field Config.Healthcheck of type container.HealthConfig`);
  const out: HealthConfig = {};
  if (raw.Test !== undefined && raw.Test !== null) {
    if (!Array.isArray(raw.Test) || !raw.Test.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof raw.Test} into Go struct field HealthConfig.Healthcheck.Test of type []string`);
    out.Test = raw.Test as string[];
  }
  for (const f of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) {
    const v = num(raw[f], `HealthConfig.Healthcheck.${f}`);
    if (!Number.isInteger(v)) throw new InvalidArgumentError(`json: cannot unmarshal number ${v} into Go struct field HealthConfig.Healthcheck.${f} of type ${f === 'Retries' ? 'int' : 'time.Duration'}`);
    if (v !== 0) out[f] = v;
  }
  return out;
}

/** docker's checks at create (daemon/container.go validateHealthCheck), in its order. */
function validateHealthcheck(h: HealthConfig | undefined): void {
  if (!h) return;
  const min = (f: 'Interval' | 'Timeout') => { const v = h[f]; if (v !== undefined && v !== 0 && v < 1_000_000) throw new InvalidArgumentError(`${f} in Healthcheck cannot be less than 1ms`); };
  min('Interval');
  min('Timeout');
  if ((h.Retries ?? 0) < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
  if (h.StartPeriod !== undefined && h.StartPeriod !== 0 && h.StartPeriod < 1_000_000) throw new InvalidArgumentError('StartPeriod in Healthcheck cannot be less than 1ms');
}

const LOG_DRIVER_OPTS: Record<string, string[]> = {
  'json-file': ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
  'k8s-file': ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
  local: ['max-file', 'max-size', 'compress'],
  journald: ['tag', 'labels', 'labels-regex', 'env', 'env-regex'],
};

/** moby daemon/logger ValidateLogOpts: the generic options, the driver, then its option keys (values: logLimits). */
export function validateLogOpts(driver: string, opts: Record<string, string>): void {
  if (driver === 'none') return;
  const mode = opts.mode ?? '';
  if (!['', 'blocking', 'non-blocking'].includes(mode)) throw new InvalidArgumentError(`logger: logging mode not supported: ${mode}`);
  if (opts['max-buffer-size'] !== undefined) {
    if (mode !== 'non-blocking') throw new InvalidArgumentError(`logger: max-buffer-size option is only supported with 'mode=non-blocking'`);
    try { parseBytes(opts['max-buffer-size']); } catch (e) { throw new InvalidArgumentError(`error parsing option max-buffer-size: ${(e as Error).message}`); }
  }
  const keys = LOG_DRIVER_OPTS[driver];
  if (!keys) throw new InvalidArgumentError(`logger: no log driver named '${driver}' is registered`);
  for (const k of Object.keys(opts)) {
    if (k === 'mode' || k === 'max-buffer-size' || keys.includes(k)) continue;
    throw new InvalidArgumentError(driver === 'local' ? `unknown log opt '${k}' for log driver local` : `unknown log opt '${k}' for ${driver} log driver`);
  }
}

/** HostConfig.Devices: objects with an absolute host path (a relative one was walked from the daemon's cwd). */
function deviceList(v: unknown): HostConfig['Devices'] {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field HostConfig.Devices of type []container.DeviceMapping`);
  for (const d of v) {
    if (!isObj(d)) throw new InvalidArgumentError('json: cannot unmarshal into Go struct field HostConfig.Devices of type container.DeviceMapping');
    if (typeof d.PathOnHost === 'string' && isQualifiedName(d.PathOnHost)) continue; // a CDI device (moved to DeviceRequests)
    for (const f of ['PathOnHost', 'PathInContainer', 'CgroupPermissions']) {
      if (d[f] !== undefined && d[f] !== null && typeof d[f] !== 'string') throw new InvalidArgumentError(`json: cannot unmarshal ${typeof d[f]} into Go struct field DeviceMapping.${f} of type string`);
    }
    const host = (d.PathOnHost as string | undefined) ?? '';
    const ctr = (d.PathInContainer as string | undefined) ?? '';
    const perms = (d.CgroupPermissions as string | undefined) ?? '';
    if (!host.startsWith('/')) throw new InvalidArgumentError(`bad format for path: ${host}`);
    if (ctr && !ctr.startsWith('/')) throw new InvalidArgumentError(`bad format for path: ${ctr}`);
    if (perms && !/^[rwm]{1,3}$/.test(perms)) throw new InvalidArgumentError(`invalid device mode: ${perms}`);
  }
  return v as HostConfig['Devices'];
}

/** HostConfig.DeviceRequests, type-checked as Go would decode them (Driver `cdi` needs names). */
function deviceRequests(v: unknown): HostConfig['DeviceRequests'] {
  if (v === undefined || v === null) return null;
  const bad = (what: string, field: string, type: string) => new InvalidArgumentError(`json: cannot unmarshal ${what} into Go struct field DeviceRequest.${field} of type ${type}`);
  const kind = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  if (!Array.isArray(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${kind(v)} into Go struct field HostConfig.DeviceRequests of type []container.DeviceRequest`);
  return v.map((d) => {
    if (!isObj(d)) throw new InvalidArgumentError(`json: cannot unmarshal ${kind(d)} into Go struct field HostConfig.DeviceRequests of type container.DeviceRequest`);
    if (d.Driver !== undefined && d.Driver !== null && typeof d.Driver !== 'string') throw bad(kind(d.Driver), 'Driver', 'string');
    if (d.Count !== undefined && d.Count !== null && !(typeof d.Count === 'number' && Number.isSafeInteger(d.Count))) throw bad(kind(d.Count), 'Count', 'int');
    if (d.DeviceIDs !== undefined && d.DeviceIDs !== null && !(Array.isArray(d.DeviceIDs) && d.DeviceIDs.every((x) => typeof x === 'string'))) throw bad(kind(d.DeviceIDs), 'DeviceIDs', '[]string');
    const caps = d.Capabilities;
    if (caps !== undefined && caps !== null && !(Array.isArray(caps) && caps.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string')))) throw bad(kind(caps), 'Capabilities', '[][]string');
    if (d.Options !== undefined && d.Options !== null && !(isObj(d.Options) && Object.values(d.Options).every((x) => typeof x === 'string'))) throw bad(kind(d.Options), 'Options', 'map[string]string');
    if (d.Count !== undefined && d.Count !== null && d.Count !== 0 && Array.isArray(d.DeviceIDs) && d.DeviceIDs.length) throw new InvalidArgumentError('cannot set both Count and DeviceIDs on device request');
    return {
      Driver: (d.Driver as string | undefined) ?? '',
      Count: (d.Count as number | undefined) ?? 0,
      DeviceIDs: (d.DeviceIDs as string[] | undefined) ?? null,
      Capabilities: (caps as string[][] | undefined) ?? null,
      Options: (d.Options as Record<string, string> | undefined) ?? null,
    };
  });
}

/**
 * `Devices` entries naming a CDI device (`vendor.com/class=name`, what podman and docker 25's
 * CLI accept in `--device`) become one request of the `cdi` driver, as docker's CLI sends them.
 */
function cdiDevices(devices: HostConfig['Devices'], reqs: HostConfig['DeviceRequests']): Pick<HostConfig, 'Devices' | 'DeviceRequests'> {
  const names = (devices ?? []).map((d) => d.PathOnHost).filter((p): p is string => typeof p === 'string' && isQualifiedName(p));
  if (!names.length) return { Devices: devices, DeviceRequests: reqs };
  return {
    Devices: (devices ?? []).filter((d) => !names.includes(d.PathOnHost!)),
    DeviceRequests: [...(reqs ?? []), { Driver: 'cdi', Count: 0, DeviceIDs: names, Capabilities: null, Options: null }],
  };
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field HostConfig.${field} of type map[string]string`);
  for (const x of Object.values(v)) if (typeof x !== 'string' && x !== null) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof x} into Go struct field HostConfig.${field} of type string`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, (x as string | null) ?? '']));
}

const TMPFS_FLAGS = new Set(['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'sync', 'async', 'dirsync', 'remount', 'mand', 'nomand',
  'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'bind', 'rbind', 'unbindable', 'runbindable',
  'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'tmpcopyup', 'notmpcopyup']);
const TMPFS_DATA: Record<string, RegExp> = {
  size: /^\d+[kmgKMG%]?$/, mode: /^[0-7]{1,4}$/, uid: /^\d+$/, gid: /^\d+$/, nr_inodes: /^\d+[kmgKMG]?$/, nr_blocks: /^\d+[kmgKMG]?$/, mpol: /^[a-z]+(:[0-9,-]+)?$/,
};

/** `--tmpfs` destinations and options as docker's ParseTmpfsOptions takes them (the kernel would refuse the rest at start). */
function tmpfsMap(v: unknown): Record<string, string> | undefined {
  const m = stringMap(v, 'Tmpfs');
  for (const opts of Object.values(m ?? {})) {
    for (const o of opts.split(',')) {
      if (o === '') continue;
      const i = o.indexOf('=');
      const key = i < 0 ? o : o.slice(0, i);
      const ok = i < 0 ? TMPFS_FLAGS.has(key) : TMPFS_DATA[key]?.test(o.slice(i + 1)) ?? false;
      if (!ok) throw new InvalidArgumentError(`invalid tmpfs option ${JSON.stringify(o)}`);
    }
  }
  return m;
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** runc's rule, checked at create: a sysctl must belong to a namespace the container has of its own. */
function sysctlMap(v: unknown, ns: { ipc: string; net: string; uts: string }): Record<string, string> | undefined {
  const m = stringMap(v, 'Sysctls');
  for (const k of Object.keys(m ?? {})) {
    if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)+$/.test(k)) throw new InvalidArgumentError(`invalid sysctl ${JSON.stringify(k)}`);
    const ipc = IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.');
    const own = (ipc && ns.ipc !== 'host') || (k.startsWith('net.') && ns.net !== 'host') || ((k === 'kernel.domainname' || k === 'kernel.hostname') && ns.uts !== 'host');
    if (!own) throw new InvalidArgumentError(`sysctl ${JSON.stringify(k)} is not in a separate kernel namespace`);
  }
  return m;
}

export function normaliseHostConfig(raw: unknown): HostConfig {
  const h = isObj(raw) ? raw : {};
  const rp = isObj(h.RestartPolicy) ? h.RestartPolicy : {};
  const policyName = str(rp.Name, 'RestartPolicy.Name') as HostConfig['RestartPolicy']['Name'];
  const maxRetry = num(rp.MaximumRetryCount, 'MaximumRetryCount');
  if (!['', 'no', 'always', 'on-failure', 'unless-stopped'].includes(policyName)) throw new InvalidArgumentError(`invalid restart policy '${policyName}'`);
  if (maxRetry !== 0 && policyName !== 'on-failure') throw new InvalidArgumentError(`maximum retry count cannot be used with restart policy '${policyName}'`);
  if (maxRetry < 0) throw new InvalidArgumentError('maximum retry count cannot be negative');
  const autoRemove = bool(h.AutoRemove, 'AutoRemove');
  if (autoRemove && policyName !== '' && policyName !== 'no') throw new InvalidArgumentError(`can't create 'AutoRemove' container with restart policy`);
  const memory = num(h.Memory, 'Memory');
  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  const memorySwap = num(h.MemorySwap, 'MemorySwap');
  if (memory > 0 && memorySwap > 0 && memorySwap < memory) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  const nanoCpus = num(h.NanoCpus, 'NanoCpus');
  const ncpu = os.cpus().length;
  if (nanoCpus < 0 || nanoCpus > ncpu * 1e9) throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${ncpu.toFixed(2)}, as there are only ${ncpu} CPUs available`);
  checkCpuCfs(num(h.CpuPeriod, 'CpuPeriod'), num(h.CpuQuota, 'CpuQuota'));
  const cpuShares = num(h.CpuShares, 'CpuShares');
  if (cpuShares < 0) throw new InvalidArgumentError(`invalid CPU shares (${cpuShares}): value must be a positive integer`);
  const cpuset = str(h.CpusetCpus, 'CpusetCpus');
  if (cpuset && !/^(\d+(-\d+)?)(,\d+(-\d+)?)*$/.test(cpuset)) throw new InvalidArgumentError(`Invalid value ${cpuset} for cpuset cpus: invalid format: ${cpuset}`);
  checkCpuset('CPUs', cpuset);
  checkCpuset('Memory nodes', str(h.CpusetMems, 'CpusetMems'));
  const oom = num(h.OomScoreAdj, 'OomScoreAdj');
  if (oom < -1000 || oom > 1000) throw new InvalidArgumentError(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  const ipc = str(h.IpcMode, 'IpcMode');
  if (ipc && !['private', 'shareable', 'host', 'none', ''].includes(ipc) && !ipc.startsWith('container:')) throw new InvalidArgumentError(`Invalid IPC mode: ${ipc}`);
  const pid = str(h.PidMode, 'PidMode');
  if (pid && pid !== 'host' && !pid.startsWith('container:')) throw new InvalidArgumentError(`Invalid PID mode: ${pid}`);
  const uts = str(h.UTSMode, 'UTSMode');
  if (uts && uts !== 'host') throw new InvalidArgumentError(`Invalid UTS mode: ${uts}`);
  // docker's default when empty: private on a cgroup v2 host, host on v1 or hybrid.
  const cgroupns = str(h.CgroupnsMode, 'CgroupnsMode') || (cgroupVersion() === '2' ? 'private' : 'host');
  if (!CGROUPNS_MODES.includes(cgroupns as CgroupnsMode)) throw new InvalidArgumentError(`invalid cgroup namespace mode: ${cgroupns}`);
  const isolation = str(h.Isolation, 'Isolation');
  if (isolation && isolation.toLowerCase() !== 'default') throw new InvalidArgumentError(`Invalid isolation: ${JSON.stringify(isolation)} - linux only supports 'default'`);
  if (isObj(h.Annotations) && Object.keys(h.Annotations).some((k) => k === '')) throw new InvalidArgumentError('invalid Annotations: the empty string is not permitted as an annotation key');
  const ulimits = Array.isArray(h.Ulimits) ? (h.Ulimits as { Name: string; Soft: number; Hard: number }[]) : null;
  for (const u of ulimits ?? []) if (u.Soft > u.Hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  const portBindings = isObj(h.PortBindings) ? (h.PortBindings as HostConfig['PortBindings']) : null;
  for (const [p, binds] of Object.entries(portBindings ?? {})) {
    validatePortKey(p);
    for (const b of binds ?? []) {
      const hp = b?.HostPort ?? '';
      if (hp && !/^\d+(-\d+)?$/.test(hp)) throw new InvalidArgumentError(`invalid port specification: "${hp}"`);
      if (hp && hp.split('-').some((x) => Number(x) > 65535)) throw new InvalidArgumentError(`invalid port specification: "${hp}"`);
    }
  }
  const logConfig = isObj(h.LogConfig) ? h.LogConfig : {};
  // Empty: the daemon's default driver, filled in at create (log-config.ts mergeLogConfig).
  const logType = str(logConfig.Type, 'LogConfig.Type');
  const logOpts = isObj(logConfig.Config) ? (logConfig.Config as Record<string, string>) : {};
  if (logType) validateLogOpts(logType, logOpts);
  const deviceCgroupRules = strList(h.DeviceCgroupRules, 'DeviceCgroupRules');
  for (const r of deviceCgroupRules ?? []) parseDeviceCgroupRule(r);
  const cgParent = str(h.CgroupParent, 'CgroupParent');
  if (cgParent.split('/').some((c) => c === '..' || c === '.')) throw new InvalidArgumentError(`invalid CgroupParent ${JSON.stringify(cgParent)}: no . or .. components`);
  if (/\.slice$/.test(cgParent)) throw new InvalidArgumentError(`cgroup-parent for systemd cgroup should be a valid slice named as "xxx.slice", but wharf uses the cgroupfs driver: ${cgParent}`);
  const shm = num(h.ShmSize, 'ShmSize');
  if (shm < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  return {
    ...h,
    Binds: strList(h.Binds, 'HostConfig.Binds'),
    LogConfig: { Type: logType, Config: logOpts },
    NetworkMode: str(h.NetworkMode, 'NetworkMode') || 'default',
    PortBindings: portBindings ?? {},
    RestartPolicy: { Name: policyName || 'no', MaximumRetryCount: maxRetry },
    AutoRemove: autoRemove,
    VolumesFrom: strList(h.VolumesFrom, 'VolumesFrom'),
    Mounts: Array.isArray(h.Mounts) ? (h.Mounts as HostConfig['Mounts']) : undefined,
    CapAdd: strList(h.CapAdd, 'CapAdd'),
    CapDrop: strList(h.CapDrop, 'CapDrop'),
    Dns: strList(h.Dns, 'Dns') ?? [],
    DnsOptions: strList(h.DnsOptions, 'DnsOptions') ?? [],
    DnsSearch: strList(h.DnsSearch, 'DnsSearch') ?? [],
    ExtraHosts: strList(h.ExtraHosts, 'ExtraHosts'),
    IpcMode: ipc || 'private',
    OomScoreAdj: oom,
    PidMode: pid,
    Privileged: bool(h.Privileged, 'Privileged'),
    PublishAllPorts: bool(h.PublishAllPorts, 'PublishAllPorts'),
    ReadonlyRootfs: bool(h.ReadonlyRootfs, 'ReadonlyRootfs'),
    SecurityOpt: strList(h.SecurityOpt, 'SecurityOpt'),
    Tmpfs: tmpfsMap(h.Tmpfs),
    UTSMode: uts,
    CgroupnsMode: cgroupns as CgroupnsMode,
    ShmSize: shm || DEFAULT_SHM_SIZE,
    Sysctls: sysctlMap(h.Sysctls, { ipc: ipc || 'private', net: str(h.NetworkMode, 'NetworkMode'), uts }),
    Runtime: str(h.Runtime, 'Runtime') || 'runc',
    CpuShares: cpuShares,
    Memory: memory,
    NanoCpus: nanoCpus,
    CpuPeriod: num(h.CpuPeriod, 'CpuPeriod'),
    CpuQuota: num(h.CpuQuota, 'CpuQuota'),
    CpusetCpus: cpuset,
    CpusetMems: str(h.CpusetMems, 'CpusetMems'),
    GroupAdd: strList(h.GroupAdd, 'GroupAdd'),
    DeviceCgroupRules: deviceCgroupRules,
    MemorySwap: memorySwap,
    PidsLimit: h.PidsLimit === undefined || h.PidsLimit === null ? null : num(h.PidsLimit, 'PidsLimit'),
    Ulimits: ulimits,
    Init: h.Init === undefined ? null : (h.Init as boolean | null),
    ...cdiDevices(deviceList(h.Devices), deviceRequests(h.DeviceRequests)),
    ConsoleSize: Array.isArray(h.ConsoleSize) ? (h.ConsoleSize as [number, number]) : [0, 0],
  };
}
