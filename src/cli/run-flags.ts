/**
 * run/create flags → the Engine API's `POST /containers/create` body (Config + HostConfig +
 * NetworkingConfig), shaped as docker 28's CLI sends it. Pure apart from reading
 * --env-file/--label-file through the injected `readFile`.
 */
import type { ContainerConfig, ContainerCreateRequest, EndpointSettings, HealthConfig, HostConfig } from '../api/types/container.ts';
import { passFlags, type RunOpts } from './run-options.ts';
import {
  FlagError, expandEnv, invalidArg, parseDevice, parseDuration, parseEnvFile, parseExpose, parseGpus, parseMountSpec,
  parsePortSpecs, parseRestart, parseUlimit, parseVolumeSpec, toMap, type DeviceRequest, type MountSpec,
} from './spec-parse.ts';
import { isQualifiedName } from '../oci/cdi.ts';

/** The create body the CLI sends: the wire type, with the parts run-flow.ts reads always there. */
export type CreateBody = ContainerCreateRequest & {
  Image: string;
  HostConfig: Partial<HostConfig> & Pick<HostConfig, 'Binds' | 'PortBindings' | 'AutoRemove'>;
  NetworkingConfig: { EndpointsConfig: Record<string, EndpointSettings> };
};

export interface BuildEnv {
  cwd: string;
  readFile: (p: string) => string;
  lookupEnv: (k: string) => string | undefined;
  parseBytes: (s: string) => number;
  /** Terminal size for ConsoleSize when -t and stdout is a TTY. */
  consoleSize?: [number, number];
}

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw invalidArg(v, flag, `strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function bytes(v: string | undefined, flag: string, env: BuildEnv): number | undefined {
  if (v === undefined) return undefined;
  if (v === '-1') return -1;
  try {
    return env.parseBytes(v);
  } catch {
    throw invalidArg(v, flag, `invalid size: '${v}'`);
  }
}

function duration(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseDuration(v);
  } catch (e) {
    throw invalidArg(v, flag, (e as Error).message);
  }
}

function attachSet(list: string[]): Set<string> {
  const s = new Set<string>();
  for (const a of list) {
    const v = a.toLowerCase();
    if (!['stdin', 'stdout', 'stderr'].includes(v)) throw invalidArg(a, '-a, --attach', `valid streams are STDIN, STDOUT and STDERR`);
    s.add(v);
  }
  return s;
}

/** Builds the create body. `image` and `args` are the operands after the flags. */
export function buildCreateBody(o: RunOpts, image: string, args: string[], env: BuildEnv, isRun = true): CreateBody {
  const attach = attachSet(o.attach ?? []);
  if (o.detach && attach.size) throw new FlagError('Conflicting options: -a and -d');
  let attachStdin = attach.has('stdin') || !!o.interactive;
  let attachStdout = attach.has('stdout');
  let attachStderr = attach.has('stderr');
  if (attach.size === 0) { attachStdout = true; attachStderr = true; }
  if (isRun && o.detach) { attachStdin = false; attachStdout = false; attachStderr = false; }

  const envList: string[] = [];
  for (const f of o.envFile ?? []) envList.push(...parseEnvFile(env.readFile(f), f, env.lookupEnv));
  for (const e of o.env ?? []) envList.push(expandEnv(e, env.lookupEnv));

  const labels: Record<string, string> = {};
  for (const f of o.labelFile ?? []) Object.assign(labels, toMap(parseEnvFile(env.readFile(f), f, () => undefined)));
  Object.assign(labels, toMap(o.label ?? []));

  const ports = parsePortSpecs(o.publish ?? []);
  for (const e of o.expose ?? []) for (const k of parseExpose(e)) ports.exposed[k] = {};

  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of o.volume ?? []) {
    const spec = parseVolumeSpec(v, env.cwd);
    if (spec.kind === 'anonymous') volumes[spec.target] = {};
    else binds.push(`${spec.source}:${spec.target}${spec.mode ? ':' + spec.mode : ''}`);
  }
  const mounts: MountSpec[] = (o.mount ?? []).map((m) => parseMountSpec(m, env.parseBytes));
  const tmpfs: Record<string, string> = {};
  for (const t of o.tmpfs ?? []) { const i = t.indexOf(':'); tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1); }

  const restart = parseRestart(o.restart ?? 'no');
  if (o.rm && restart.Name !== 'no') throw new FlagError('conflicting options: cannot specify both --restart and --rm');

  let nanoCpus: number | undefined;
  if (o.cpus !== undefined) {
    const n = Number(o.cpus);
    if (!/^\d*\.?\d+$/.test(o.cpus) || Number.isNaN(n)) throw invalidArg(o.cpus, '--cpus', `failed to parse ${o.cpus} as a rational number`);
    nanoCpus = Math.round(n * 1e9);
  }

  const network = o.network ?? o.net ?? 'default';
  const aliases = [...(o.networkAlias ?? []), ...(o.netAlias ?? [])];
  const endpoint: EndpointSettings = {};
  if (aliases.length) endpoint.Aliases = aliases;
  if (o.ip || o.ip6) endpoint.IPAMConfig = { ...(o.ip ? { IPv4Address: o.ip } : {}), ...(o.ip6 ? { IPv6Address: o.ip6 } : {}) };
  if (o.macAddress) endpoint.MacAddress = o.macAddress;
  if (aliases.length && ['default', 'bridge', 'host', 'none'].includes(network)) throw new FlagError('network-scoped aliases are only supported for user-defined networks');

  let healthcheck: HealthConfig | undefined;
  const hc = { Interval: duration(o.healthInterval, '--health-interval'), Timeout: duration(o.healthTimeout, '--health-timeout'), StartPeriod: duration(o.healthStartPeriod, '--health-start-period'), StartInterval: duration(o.healthStartInterval, '--health-start-interval'), Retries: int(o.healthRetries, '--health-retries') };
  const hasHealthOpts = o.healthCmd !== undefined || Object.values(hc).some((x) => x !== undefined && x !== 0);
  if (o.healthcheck === false) {
    if (hasHealthOpts) throw new FlagError('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (hasHealthOpts) {
    for (const [k, v] of Object.entries(hc)) if (v !== undefined && v < 0) throw new FlagError(`--health-${k === 'StartPeriod' ? 'start-period' : k === 'StartInterval' ? 'start-interval' : k.toLowerCase()} cannot be negative`);
    healthcheck = { ...(o.healthCmd !== undefined ? { Test: ['CMD-SHELL', o.healthCmd] } : {}), Interval: hc.Interval ?? 0, Timeout: hc.Timeout ?? 0, StartPeriod: hc.StartPeriod ?? 0, StartInterval: hc.StartInterval ?? 0, Retries: hc.Retries ?? 0 };
  }

  const sysctls = toMap(o.sysctl ?? []);
  const logConfig = { Type: o.logDriver ?? '', Config: toMap(o.logOpt ?? []) };
  const deviceRequests: DeviceRequest[] = o.gpus ? [parseGpus(o.gpus)] : [];
  // `--device vendor.com/class=name`: CDI devices, one request of the cdi driver (docker 25's CLI).
  const cdiNames = (o.device ?? []).filter(isQualifiedName);
  if (cdiNames.length) deviceRequests.push({ Driver: 'cdi', Count: 0, DeviceIDs: cdiNames, Capabilities: [], Options: {} });
  const tty = !!o.tty;

  const config: Partial<ContainerConfig> & { Image: string } = {
    AttachStdin: attachStdin, AttachStdout: attachStdout, AttachStderr: attachStderr,
    ExposedPorts: Object.keys(ports.exposed).length ? ports.exposed : undefined,
    Tty: tty, OpenStdin: !!o.interactive, StdinOnce: isRun && !o.detach && !!o.interactive && attachStdin,
    Env: envList, Cmd: args.length ? args : null, Image: image,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    Entrypoint: o.entrypoint === undefined ? null : o.entrypoint === '' ? [''] : [o.entrypoint],
    Labels: labels,
  };
  if (healthcheck) config.Healthcheck = healthcheck;
  if (o.stopSignal) config.StopSignal = o.stopSignal;
  if (o.stopTimeout !== undefined) config.StopTimeout = int(o.stopTimeout, '--stop-timeout');
  if (o.macAddress) config.MacAddress = o.macAddress;

  const hostConfig: CreateBody['HostConfig'] = {
    Binds: binds, LogConfig: logConfig, NetworkMode: network,
    PortBindings: ports.bindings, RestartPolicy: restart, AutoRemove: !!o.rm,
    VolumesFrom: o.volumesFrom ?? [], ConsoleSize: tty && env.consoleSize ? env.consoleSize : [0, 0],
    Annotations: o.annotation?.length ? toMap(o.annotation) : undefined,
    CapAdd: o.capAdd ?? [], CapDrop: o.capDrop ?? [],
    Dns: o.dns ?? [], DnsOptions: o.dnsOption ?? [], DnsSearch: o.dnsSearch ?? [], ExtraHosts: (o.addHost ?? []).map(normalizeHost),
    GroupAdd: o.groupAdd ?? [], Cgroup: '', Links: o.link ?? [],
    OomScoreAdj: int(o.oomScoreAdj, '--oom-score-adj') ?? 0, Privileged: !!o.privileged,
    PublishAllPorts: !!o.publishAll, ReadonlyRootfs: !!o.readOnly, SecurityOpt: o.securityOpt ?? [],
    StorageOpt: o.storageOpt?.length ? toMap(o.storageOpt) : undefined, Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    ShmSize: bytes(o.shmSize, '--shm-size', env) ?? 0,
    Sysctls: Object.keys(sysctls).length ? sysctls : undefined, Runtime: o.runtime,
    CpuShares: int(o.cpuShares, '-c, --cpu-shares') ?? 0, Memory: bytes(o.memory, '-m, --memory', env) ?? 0, NanoCpus: nanoCpus ?? 0,
    BlkioWeight: int(o.blkioWeight, '--blkio-weight') ?? 0,
    CpuPeriod: int(o.cpuPeriod, '--cpu-period') ?? 0, CpuQuota: int(o.cpuQuota, '--cpu-quota') ?? 0,
    Devices: (o.device ?? []).filter((d) => !isQualifiedName(d)).map(parseDevice), DeviceCgroupRules: o.deviceCgroupRule ?? [], DeviceRequests: deviceRequests,
    MemoryReservation: bytes(o.memoryReservation, '--memory-reservation', env) ?? 0,
    MemorySwap: bytes(o.memorySwap, '--memory-swap', env) ?? 0,
    MemorySwappiness: int(o.memorySwappiness, '--memory-swappiness'),
    OomKillDisable: !!o.oomKillDisable, PidsLimit: int(o.pidsLimit, '--pids-limit'),
    Ulimits: (o.ulimit ?? []).map(parseUlimit), Mounts: mounts,
  };
  if (o.init) hostConfig.Init = true;
  // The flags that are a plain string field (run-options.ts `pass`): checked, then copied.
  for (const f of passFlags()) {
    const v = (o as unknown as Record<string, string | undefined>)[f.key] ?? '';
    const bad = v === '' ? undefined : f.check?.(v);
    if (bad) throw new FlagError(bad);
    const [part, field] = f.field.split('.') as ['Config' | 'HostConfig', string];
    const target: Record<string, unknown> = part === 'Config' ? config : hostConfig;
    target[field] = v;
  }
  if (o.memorySwap !== undefined && o.memorySwap !== '-1' && o.memory === undefined) throw new FlagError('Minimum memoryswap limit should be larger than memory limit, see usage');
  return {
    ...stripUndefined(config),
    HostConfig: stripUndefined(hostConfig) as CreateBody['HostConfig'],
    NetworkingConfig: { EndpointsConfig: Object.keys(endpoint).length || network !== 'default' ? { [network]: endpoint } : {} },
  };
}

/** `--add-host h=ip` is accepted as `h:ip` (docker 28); `h:ip` kept as is. */
function normalizeHost(s: string): string {
  const eq = s.indexOf('=');
  const colon = s.indexOf(':');
  const i = eq >= 0 ? eq : colon;
  if (i <= 0 || i === s.length - 1) throw invalidArg(s, '--add-host', `bad format for add-host: "${s}"`);
  return `${s.slice(0, i)}:${s.slice(i + 1).replace(/^\[(.*)\]$/, '$1')}`;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
