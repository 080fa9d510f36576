/**
 * buildRuntimeSpec: a container's settings (already validated and resolved by the engine) →
 * the OCI config.json handed to runc. Mirrors moby daemon/oci_linux.go createSpec: default
 * mounts, caps, seccomp, masked paths, devices, resources, namespaces, env defaults, `--init`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../common/errors.ts';
import { cgroupVersion, detectCgroupLayout, swapLimitSupported } from '../common/cgroups.ts';
import { resolveCapabilities } from './capabilities.ts';
import { DEFAULT_SHM_SIZE, READONLY_PATHS, defaultDeviceRules, parseDeviceCgroupRule, defaultMounts, deviceMapping, hostDevices, maskedPaths } from './defaults.ts';
import { buildRlimits, type Ulimit } from './rlimits.ts';
import { defaultSeccomp, seccompFromProfile } from './seccomp.ts';
import { parseSecurityOpt, type SecurityOptions } from './security-opt.ts';
import type { LinuxResources, MountSpec, NamespaceSpec, RuntimeSpec } from './spec-types.ts';
import type { ResolvedUser } from './user.ts';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Where `--init` binaries are bound inside the container (docker's name). */
export const INIT_PATH = '/sbin/docker-init';

export interface SpecResources {
  memory?: number;
  /** docker semantics: memory + swap; -1 = unlimited swap; 0/undefined = 2× memory. */
  memorySwap?: number;
  memoryReservation?: number;
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  cpuShares?: number;
  nanoCpus?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** > 0 sets a limit; 0, -1 or undefined = unlimited. */
  pidsLimit?: number;
  blkioWeight?: number;
}

export interface SpecInput {
  /** Absolute path of the mounted rootfs. */
  rootfs: string;
  readonlyRootfs?: boolean;
  args: string[];
  /** Image env merged with container env (later wins); defaults are added here. */
  env?: string[];
  cwd?: string;
  /** From resolveUser(); root when absent. */
  user?: ResolvedUser;
  tty?: boolean;
  hostname?: string;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** Raw `--security-opt` strings or their parsed form. */
  securityOpt?: string[] | SecurityOptions;
  /** The daemon's `--no-new-privileges` default. */
  daemonNoNewPrivileges?: boolean;
  resources?: SpecResources;
  ulimits?: Ulimit[];
  /** `/dev/x[:/dev/y[:rwm]]`. */
  devices?: string[];
  /** `--device-cgroup-rule` entries ("c 7:128 rwm"); ignored with privileged (all devices allowed). */
  deviceCgroupRules?: string[];
  /** container path → tmpfs options ("size=64m,mode=1777,noexec"). */
  tmpfs?: Record<string, string>;
  /** Binds and volumes, already as OCI mounts (options include rbind/ro/propagation). */
  mounts?: MountSpec[];
  shmSize?: number;
  /** 'none' = a fresh namespace with only lo; 'host' = the host's; else a netns path (/run/netns/x, /proc/PID/ns/net). */
  network?: 'none' | 'host' | { path: string };
  /** Share the host's pid / ipc / uts namespaces. */
  hostPid?: boolean;
  hostIpc?: boolean;
  hostUts?: boolean;
  /** Join another process's pid / ipc namespace (`/proc/PID/ns/pid`): `--pid container:X`, a CRI pod's shared namespaces. */
  pidNsPath?: string;
  ipcNsPath?: string;
  /** `--cgroupns`: 'private' adds a cgroup namespace; absent = private on a cgroup v2 host, host on v1. */
  cgroupns?: 'host' | 'private';
  cgroupsPath?: string;
  sysctls?: Record<string, string>;
  /** `--init`: true = find tini/catatonit on the host; a string = that binary. */
  init?: boolean | string;
  oomScoreAdj?: number;
  annotations?: Record<string, string>;
  /** HostConfig.MaskedPaths / ReadonlyPaths: replace the defaults when given (ignored with privileged). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

/** The host binary for `--init`: tini (docker-init's upstream), then catatonit. */
export function findInitBinary(): string {
  for (const p of ['/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/bin/tini', '/usr/bin/catatonit', '/usr/libexec/podman/catatonit']) {
    if (fs.existsSync(p)) return p;
  }
  throw new InvalidArgumentError('docker-init binary not found: install tini or catatonit');
}

/** CVE-2024-21626 defence in depth: cwd must be absolute; it is normalised. */
export function validateCwd(cwd: string | undefined): string {
  if (cwd === undefined || cwd === '') return '/';
  if (!cwd.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  }
  const clean = path.posix.normalize(cwd);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/**
 * Docker's env defaults: PATH (if absent), HOSTNAME, TERM=xterm with a tty; given env wins. A
 * bare `NAME` (no `=`, what `-e NAME` sends when NAME is unset) unsets it, as moby's
 * ReplaceOrAppendEnvValues does; runc would refuse the process with it.
 */
export function buildEnv(env: readonly string[] = [], hostname = '', tty = false): string[] {
  const out: string[] = [];
  const set = (kv: string) => {
    const k = kv.split('=', 1)[0];
    const i = out.findIndex((e) => e.split('=', 1)[0] === k);
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  };
  set(DEFAULT_PATH_ENV);
  if (hostname) set(`HOSTNAME=${hostname}`);
  if (tty) set('TERM=xterm');
  for (const e of env) {
    if (e.includes('=')) { set(e); continue; }
    const i = out.findIndex((x) => x.split('=', 1)[0] === e);
    if (i >= 0) out.splice(i, 1);
  }
  return out;
}

function buildResources(r: SpecResources = {}): LinuxResources {
  const out: LinuxResources = {};
  const mem: NonNullable<LinuxResources['memory']> = {};
  if (r.memory && r.memory > 0) {
    mem.limit = r.memory;
    if (swapLimitSupported(detectCgroupLayout())) {
      if (r.memorySwap === -1) mem.swap = -1;
      else if (r.memorySwap && r.memorySwap > 0) mem.swap = r.memorySwap;
      else mem.swap = r.memory * 2;
    }
  }
  if (r.memoryReservation && r.memoryReservation > 0) mem.reservation = r.memoryReservation;
  if (r.memorySwappiness !== undefined && r.memorySwappiness >= 0) mem.swappiness = r.memorySwappiness;
  if (r.oomKillDisable) mem.disableOOMKiller = true;
  if (Object.keys(mem).length) out.memory = mem;

  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (r.cpuShares && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.nanoCpus && r.nanoCpus > 0) {
    cpu.period = 100000;
    cpu.quota = Math.round((r.nanoCpus * cpu.period) / 1e9);
  } else {
    if (r.cpuPeriod && r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
    if (r.cpuQuota && r.cpuQuota > 0) cpu.quota = r.cpuQuota;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.blkioWeight && r.blkioWeight > 0) out.blockIO = { weight: r.blkioWeight };
  return out;
}

function tmpfsMount(dest: string, opts: string): MountSpec {
  if (!dest.startsWith('/')) throw new InvalidArgumentError(`invalid mount path: '${dest}' mount path must be absolute`);
  const options = ['nosuid', 'nodev', 'noexec'];
  for (const o of opts.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (o === 'exec') options.splice(options.indexOf('noexec'), 1);
    else if (o === 'dev') options.splice(options.indexOf('nodev'), 1);
    else if (o === 'suid') options.splice(options.indexOf('nosuid'), 1);
    else if (!options.includes(o)) options.push(o);
  }
  return { destination: dest, type: 'tmpfs', source: 'tmpfs', options: options.filter((o) => o !== undefined) };
}

function namespaces(input: SpecInput): NamespaceSpec[] {
  const ns: NamespaceSpec[] = [{ type: 'mount' }];
  if (input.pidNsPath) ns.push({ type: 'pid', path: input.pidNsPath });
  else if (!input.hostPid) ns.push({ type: 'pid' });
  if (input.ipcNsPath) ns.push({ type: 'ipc', path: input.ipcNsPath });
  else if (!input.hostIpc) ns.push({ type: 'ipc' });
  if (!input.hostUts) ns.push({ type: 'uts' });
  const net = input.network ?? 'none';
  if (net === 'none') ns.push({ type: 'network' });
  else if (net !== 'host') ns.push({ type: 'network', path: net.path });
  if ((input.cgroupns ?? (cgroupVersion() === '2' ? 'private' : 'host')) === 'private') ns.push({ type: 'cgroup' });
  return ns;
}

/** The full OCI config for one container. Throws InvalidArgumentError for invalid settings. */
export function buildRuntimeSpec(input: SpecInput): RuntimeSpec {
  if (!input.args.length) throw new InvalidArgumentError('No command specified');
  const sec = Array.isArray(input.securityOpt) || input.securityOpt === undefined ? parseSecurityOpt(input.securityOpt as string[] | undefined) : input.securityOpt;
  const privileged = input.privileged === true;
  const caps = resolveCapabilities(input.capAdd, input.capDrop, privileged);
  const user = input.user ?? { uid: 0, gid: 0, additionalGids: [], home: '/root' };
  const cwd = validateCwd(input.cwd);

  let args = input.args.slice();
  const mounts: MountSpec[] = defaultMounts(input.shmSize && input.shmSize > 0 ? input.shmSize : DEFAULT_SHM_SIZE, privileged || sec.writableCgroups === true);
  if (input.init) {
    const bin = typeof input.init === 'string' ? input.init : findInitBinary();
    mounts.push({ destination: INIT_PATH, type: 'bind', source: bin, options: ['bind', 'ro'] });
    args = [INIT_PATH, '--', ...args];
  }
  if (input.hostIpc) {
    // --ipc host: the host's /dev/shm (docker binds it; --shm-size does not apply).
    const i = mounts.findIndex((m) => m.destination === '/dev/shm');
    if (i >= 0) mounts[i] = { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'nosuid', 'noexec', 'nodev'] };
  }
  for (const [dest, opts] of Object.entries(input.tmpfs ?? {})) mounts.push(tmpfsMount(dest, opts));
  for (const m of input.mounts ?? []) {
    // A user mount over a default one replaces it (e.g. -v /dev/shm, --tmpfs /dev/shm).
    const i = mounts.findIndex((x) => x.destination === m.destination);
    if (i >= 0) mounts.splice(i, 1);
    mounts.push(m);
  }

  const resources = buildResources(input.resources);
  const devices = [];
  if (privileged) {
    devices.push(...hostDevices());
    resources.devices = [{ allow: true, access: 'rwm' }];
  } else {
    resources.devices = defaultDeviceRules();
  }
  for (const d of input.devices ?? []) {
    const m = deviceMapping(d);
    devices.push(...m.devices);
    resources.devices.push(...m.rules);
  }
  if (!privileged) for (const r of input.deviceCgroupRules ?? []) resources.devices.push(parseDeviceCgroupRule(r));

  const spec: RuntimeSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: input.tty === true,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) },
      args,
      env: buildEnv(input.env, input.hostname, input.tty),
      cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: sec.noNewPrivileges ?? input.daemonNoNewPrivileges ?? false,
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs === true },
    mounts,
    linux: {
      resources,
      namespaces: namespaces(input),
      devices,
      maskedPaths: privileged ? [] : input.maskedPaths?.slice() ?? maskedPaths(),
      readonlyPaths: privileged ? [] : input.readonlyPaths?.slice() ?? READONLY_PATHS.slice(),
    },
  };
  if (input.hostname && !input.hostUts) spec.hostname = input.hostname;
  // As moby: a shared bind needs a shared container root to propagate through, a slave one a slave root.
  const propagations = mounts.flatMap((m) => m.options ?? []);
  if (propagations.some((o) => o === 'rshared' || o === 'shared')) spec.linux.rootfsPropagation = 'rshared';
  else if (propagations.some((o) => o === 'rslave' || o === 'slave')) spec.linux.rootfsPropagation = 'rslave';
  const rlimits = buildRlimits(input.ulimits);
  if (rlimits.length) spec.process.rlimits = rlimits;
  if (input.oomScoreAdj !== undefined && input.oomScoreAdj !== 0) spec.process.oomScoreAdj = input.oomScoreAdj;
  if (input.cgroupsPath) spec.linux.cgroupsPath = input.cgroupsPath;
  if (input.sysctls && Object.keys(input.sysctls).length) spec.linux.sysctl = { ...input.sysctls };
  if (input.annotations) spec.annotations = { ...input.annotations };
  if (!privileged && sec.seccomp !== 'unconfined') {
    spec.linux.seccomp = sec.seccomp === 'default' ? defaultSeccomp(caps) : seccompFromProfile(sec.seccomp, caps);
  }
  return spec;
}

/** The `process` object for an exec into a container built from `spec` (docker exec semantics). */
export function buildExecProcess(
  spec: RuntimeSpec,
  opts: { args: string[]; env?: string[]; cwd?: string; user?: ResolvedUser; tty?: boolean; privileged?: boolean },
): RuntimeSpec['process'] {
  if (!opts.args.length) throw new InvalidArgumentError('No exec command specified');
  const p = structuredClone(spec.process);
  p.args = opts.args.slice();
  p.terminal = opts.tty === true;
  p.cwd = opts.cwd ? validateCwd(opts.cwd) : p.cwd;
  if (opts.user) {
    p.user = { uid: opts.user.uid, gid: opts.user.gid, ...(opts.user.additionalGids.length ? { additionalGids: opts.user.additionalGids } : {}) };
  }
  let env = p.env.slice();
  if (opts.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  for (const e of opts.env ?? []) {
    const k = e.split('=', 1)[0];
    env = env.filter((x) => x.split('=', 1)[0] !== k);
    if (e.includes('=')) env.push(e); // a bare NAME unsets it (as in buildEnv)
  }
  p.env = env;
  if (opts.privileged) {
    const all = resolveCapabilities([], [], true);
    p.capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
  }
  delete p.rlimits;
  delete p.consoleSize;
  return p;
}
