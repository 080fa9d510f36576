/**
 * NVIDIA GPUs without the NVIDIA container toolkit: what the host's driver offers (device
 * nodes, the driver's user-space libraries from the ld cache, its binaries, firmware and
 * sockets) and the container edits that give a container some of its GPUs. Every input is
 * injectable (a root directory standing for `/`, the text of /proc/devices and of
 * `ldconfig -p`), so tests drive discovery with fake trees.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { CdiDeviceNode, CdiMount, ContainerEdits } from './cdi.ts';

export interface NvidiaProbe {
  /** Stands for the host's `/` (default `/`). */
  root?: string;
  /** Text of /proc/devices (default: read under root). */
  procDevices?: string;
  /** Output of `ldconfig -p` (default: the host's ldconfig, run when root is `/`). */
  ldconfig?: string;
  /** Node's process.arch (picks the ld cache entries of this ABI). */
  arch?: string;
}

export interface NvidiaGpu {
  /** nvidia-smi's index (PCI bus order). */
  index: number;
  /** Minor number of /dev/nvidiaN. */
  minor: number;
  path: string;
  uuid?: string;
  name?: string;
  busId?: string;
}

export interface NvidiaFile {
  /** Path inside the container (the host's path, as the toolkit does). */
  path: string;
  /** Host path of the file to bind (the resolved target). */
  source: string;
}

export type NvidiaCapability = 'compute' | 'utility' | 'video' | 'graphics' | 'display' | 'ngx' | 'compat32';
export const ALL_NVIDIA_CAPABILITIES: readonly NvidiaCapability[] = ['compute', 'compat32', 'graphics', 'utility', 'video', 'display', 'ngx'];
export const DEFAULT_NVIDIA_CAPABILITIES: readonly NvidiaCapability[] = ['utility', 'compute'];

export interface NvidiaHost {
  driverVersion: string;
  gpus: NvidiaGpu[];
  /** /dev/nvidiactl, uvm, uvm-tools, modeset, nvidia-caps/* (as device node edits). */
  controlNodes: CdiDeviceNode[];
  /** Driver libraries (`.so.<driver version>`) by capability; '' = needed by any. */
  libraries: { file: NvidiaFile; caps: NvidiaCapability[] | '' }[];
  binaries: { file: NvidiaFile; caps: NvidiaCapability[] }[];
  firmware: NvidiaFile[];
  sockets: { file: NvidiaFile; caps: NvidiaCapability[] }[];
  /** The host's ldconfig (for the ld cache hook); undefined when none. */
  ldconfig?: string;
}

const LIB_CAPS: [RegExp, NvidiaCapability[]][] = [
  [/^lib(nvidia-ml|nvidia-cfg)$/, ['utility']],
  [/^lib(cuda|cudadebugger|nvidia-opencl|nvidia-ptxjitcompiler|nvidia-fatbinaryloader|nvidia-allocator|nvidia-compiler|nvidia-pkcs11|nvidia-pkcs11-openssl3|nvidia-nvvm)$/, ['compute']],
  [/^libnvidia-gpucomp$/, ['compute', 'graphics']],
  [/^lib(vdpau_nvidia|nvidia-encode|nvidia-opticalflow|nvcuvid)$/, ['video']],
  [/^lib(nvidia-eglcore|nvidia-glcore|nvidia-tls|nvidia-glsi|nvidia-fbc|nvidia-ifr|nvidia-rtcore|nvoptix|GLX_nvidia|EGL_nvidia|GLESv2_nvidia|GLESv1_CM_nvidia|nvidia-glvkspirv|nvidia-vulkan-producer)$/, ['graphics']],
  [/^libnvidia-ngx$/, ['ngx']],
];

const BINARIES: [string, NvidiaCapability[]][] = [
  ['nvidia-smi', ['utility']], ['nvidia-debugdump', ['utility']], ['nvidia-persistenced', ['utility']],
  ['nvidia-cuda-mps-control', ['compute']], ['nvidia-cuda-mps-server', ['compute']],
];

const SOCKETS: [string, NvidiaCapability[]][] = [
  ['/run/nvidia-persistenced/socket', ['utility', 'compute']],
  ['/run/nvidia-fabricmanager/socket', ['compute']],
  ['/tmp/nvidia-mps', ['compute']],
];

const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin', '/usr/local/nvidia/bin'];

/** `major name` pairs of the "Character devices" part of /proc/devices. */
export function charMajors(procDevices: string): Map<string, number> {
  const out = new Map<string, number>();
  let inChar = false;
  for (const line of procDevices.split('\n')) {
    if (/^Character devices:/.test(line)) { inChar = true; continue; }
    if (/^Block devices:/.test(line)) { inChar = false; continue; }
    const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
    if (inChar && m) out.set(m[2]!, Number(m[1]));
  }
  return out;
}

export interface LdcacheEntry { soname: string; flags: string; path: string }

/** Lines of `ldconfig -p`: `\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1`. */
export function parseLdconfig(text: string): LdcacheEntry[] {
  const out: LdcacheEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+(\S+)\s+\(([^)]*)\)(?:\s+\S.*?)?\s+=>\s+(\/\S.*?)\s*$/.exec(line);
    if (m) out.push({ soname: m[1]!, flags: m[2]!, path: m[3]! });
  }
  return out;
}

/** Whether an ld cache entry's flags are this process's ABI (64-bit libraries, not compat32's). */
function nativeAbi(flags: string, arch: string): boolean {
  if (arch === 'x64') return flags.includes('x86-64');
  if (arch === 'arm64') return flags.includes('AArch64');
  if (arch === 'ppc64') return flags.includes('64bit');
  return true;
}

const read = (p: string): string | undefined => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

const exists = (p: string): boolean => {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Resolves `p` (a host path) under `root`, symlinks followed inside root; undefined when dangling. */
function resolveUnder(root: string, p: string): string | undefined {
  let cur = p;
  for (let hops = 0; hops < 40; hops++) {
    const parts = cur.split('/').filter(Boolean);
    let done = '/';
    let changed = false;
    for (let i = 0; i < parts.length; i++) {
      const next = path.posix.join(done, parts[i]!);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(path.join(root, next));
      } catch {
        return undefined;
      }
      if (st.isSymbolicLink()) {
        const target = fs.readlinkSync(path.join(root, next));
        const abs = target.startsWith('/') ? target : path.posix.join(done, target);
        cur = path.posix.normalize(path.posix.join(abs, ...parts.slice(i + 1)));
        changed = true;
        break;
      }
      done = next;
    }
    if (!changed) return done;
  }
  return undefined;
}

/** The kernel module's version (/proc/driver/nvidia/version), e.g. 535.104.05. */
export function driverVersionFrom(text: string | undefined): string | undefined {
  return text ? /Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] : undefined;
}

function gpuInfo(root: string): Map<number, { uuid?: string; name?: string; busId: string }> {
  const out = new Map<number, { uuid?: string; name?: string; busId: string }>();
  const dir = path.join(root, 'proc/driver/nvidia/gpus');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const bus of names) {
    const text = read(path.join(dir, bus, 'information'));
    if (!text) continue;
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*?)\\s*$`, 'm').exec(text)?.[1];
    const minor = Number(field('Device Minor'));
    if (!Number.isInteger(minor)) continue;
    out.set(minor, { uuid: field('GPU UUID'), name: field('Model'), busId: field('Bus Location') ?? bus });
  }
  return out;
}

function defaultLdconfig(root: string): string | undefined {
  for (const p of ['/sbin/ldconfig.real', '/sbin/ldconfig', '/usr/sbin/ldconfig.real', '/usr/sbin/ldconfig']) {
    try {
      if (fs.statSync(path.join(root, p)).isFile()) return p;
    } catch { /* next */ }
  }
  return undefined;
}

/**
 * What the host's NVIDIA driver offers; undefined where the driver is not loaded (no nvidia
 * major in /proc/devices and no /dev/nvidiactl).
 */
export function probeNvidia(probe: NvidiaProbe = {}): NvidiaHost | undefined {
  const root = probe.root ?? '/';
  const arch = probe.arch ?? process.arch;
  const majors = charMajors(probe.procDevices ?? read(path.join(root, 'proc/devices')) ?? '');
  const frontend = majors.get('nvidia-frontend') ?? majors.get('nvidia');
  const dev = (p: string) => exists(path.join(root, p));
  if (frontend === undefined && !dev('/dev/nvidiactl')) return undefined;
  const major = frontend ?? 195;

  const info = gpuInfo(root);
  let devNames: string[] = [];
  try {
    devNames = fs.readdirSync(path.join(root, 'dev'));
  } catch { /* none */ }
  // A GPU the driver lists but whose /dev node nothing created yet (nvidia-modprobe) still counts:
  // runc creates the container's node from the numbers.
  const minors = [...new Set([
    ...devNames.map((n) => /^nvidia(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])),
    ...(frontend !== undefined ? info.keys() : []),
  ])];
  // nvidia-smi numbers GPUs in PCI bus order; without the driver's /proc files, by minor.
  const ordered = minors.map((minor) => ({ minor, ...info.get(minor) }))
    .sort((a, b) => (a.busId && b.busId ? a.busId.localeCompare(b.busId) : a.minor - b.minor));
  const gpus: NvidiaGpu[] = ordered.map((g, index) => {
    const gpu: NvidiaGpu = { index, minor: g.minor, path: `/dev/nvidia${g.minor}` };
    if (g.uuid) gpu.uuid = g.uuid;
    if (g.name) gpu.name = g.name;
    if (g.busId) gpu.busId = g.busId;
    return gpu;
  });

  const node = (p: string, maj: number, minor: number): CdiDeviceNode => ({ path: p, type: 'c', major: maj, minor, fileMode: 0o666, permissions: 'rwm' });
  const controlNodes: CdiDeviceNode[] = [];
  if (dev('/dev/nvidiactl') || frontend !== undefined) controlNodes.push(node('/dev/nvidiactl', major, 255));
  // The uvm nodes' major is dynamic; runc creates them from the numbers, so a loaded module
  // whose nodes nothing created yet on the host (nvidia-modprobe) still gives them.
  const uvm = majors.get('nvidia-uvm');
  if (uvm !== undefined) {
    controlNodes.push(node('/dev/nvidia-uvm', uvm, 0));
    if (dev('/dev/nvidia-uvm-tools') || dev('/dev/nvidia-uvm')) controlNodes.push(node('/dev/nvidia-uvm-tools', uvm, 1));
  }
  if (dev('/dev/nvidia-modeset')) controlNodes.push(node('/dev/nvidia-modeset', major, 254));
  const caps = majors.get('nvidia-caps');
  if (caps !== undefined) {
    let capNames: string[] = [];
    try {
      capNames = fs.readdirSync(path.join(root, 'dev/nvidia-caps'));
    } catch { /* none */ }
    for (const n of capNames.sort()) {
      const m = /^nvidia-cap(\d+)$/.exec(n);
      if (m) controlNodes.push(node(`/dev/nvidia-caps/${n}`, caps, Number(m[1])));
    }
  }

  const ldconfig = defaultLdconfig(root);
  let ldText = probe.ldconfig;
  if (ldText === undefined && root === '/' && ldconfig) {
    try {
      ldText = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    } catch {
      ldText = '';
    }
  }
  const entries = parseLdconfig(ldText ?? '').filter((e) => nativeAbi(e.flags, arch));
  let version = driverVersionFrom(read(path.join(root, 'proc/driver/nvidia/version')));
  if (!version) {
    const cuda = entries.find((e) => e.soname === 'libcuda.so.1');
    const real = cuda && resolveUnder(root, cuda.path);
    version = real ? /\.so\.(\d+\.\d+(?:\.\d+)?)$/.exec(real)?.[1] : undefined;
  }
  const libraries: NvidiaHost['libraries'] = [];
  if (version) {
    const seen = new Set<string>();
    for (const e of entries) {
      const real = resolveUnder(root, e.path);
      if (!real || seen.has(real) || !real.endsWith(`.so.${version}`)) continue;
      seen.add(real);
      const base = path.posix.basename(real).replace(/\.so\..*$/, '');
      const c = LIB_CAPS.find(([re]) => re.test(base))?.[1];
      libraries.push({ file: { path: real, source: path.join(root, real) }, caps: c ?? '' });
    }
  }

  const binaries: NvidiaHost['binaries'] = [];
  for (const [name, c] of BINARIES) {
    for (const d of BIN_DIRS) {
      const p = path.posix.join(d, name);
      const real = resolveUnder(root, p);
      if (!real) continue;
      binaries.push({ file: { path: p, source: path.join(root, real) }, caps: c });
      break;
    }
  }

  const firmware: NvidiaFile[] = [];
  if (version) {
    const seen = new Set<string>();
    for (const d of ['/lib/firmware/nvidia', '/usr/lib/firmware/nvidia']) {
      const dir = `${d}/${version}`;
      let names: string[] = [];
      try {
        names = fs.readdirSync(path.join(root, dir));
      } catch { continue; }
      for (const n of names.filter((x) => x.endsWith('.bin')).sort()) {
        const real = resolveUnder(root, `${dir}/${n}`);
        if (!real || seen.has(real)) continue;
        seen.add(real);
        firmware.push({ path: `${dir}/${n}`, source: path.join(root, real) });
      }
    }
  }

  const sockets: NvidiaHost['sockets'] = [];
  for (const [p, c] of SOCKETS) {
    const real = resolveUnder(root, p);
    if (real) sockets.push({ file: { path: p, source: path.join(root, real) }, caps: c });
  }

  const host: NvidiaHost = { driverVersion: version ?? '', gpus, controlNodes, libraries, binaries, firmware, sockets };
  if (ldconfig) host.ldconfig = path.join(root, ldconfig);
  return host;
}

let cached: { at: number; host: NvidiaHost | undefined } | undefined;

/**
 * probeNvidia() of the real host, reused for `maxAgeMs` (a create and its start probe once,
 * not once per step: the ld cache listing costs ~10 ms).
 */
export function probeNvidiaCached(maxAgeMs = 5000): NvidiaHost | undefined {
  const now = Date.now();
  if (!cached || now - cached.at > maxAgeMs) cached = { at: now, host: probeNvidia() };
  return cached.host;
}

/** Error with the text docker gives when no device driver can serve a request. */
export class GpuSelectError extends Error {}

/**
 * NVIDIA_VISIBLE_DEVICES (all, none, void, indices, UUIDs) → the GPUs; throws GpuSelectError
 * for a device that is not there (the toolkit's "unknown device").
 */
export function selectGpus(host: NvidiaHost, visible: string): NvidiaGpu[] {
  const v = visible.trim();
  if (v === '' || v === 'void' || v === 'none') return [];
  if (v === 'all') return host.gpus.slice();
  const out: NvidiaGpu[] = [];
  for (const id of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const g = /^\d+$/.test(id) ? host.gpus.find((x) => x.index === Number(id))
      : host.gpus.find((x) => x.uuid !== undefined && (x.uuid === id || (id.startsWith('GPU-') && id.length >= 8 && x.uuid.startsWith(id))));
    if (!g) {
      const have = host.gpus.map((x) => String(x.index)).join(', ') || 'none';
      throw new GpuSelectError(`nvidia: device error: ${id}: unknown device (this host's GPUs: ${have})`);
    }
    if (!out.includes(g)) out.push(g);
  }
  return out;
}

/** NVIDIA_DRIVER_CAPABILITIES → the capability set ("all", unknown names refused). */
export function driverCapabilities(value: string | undefined): NvidiaCapability[] {
  const v = (value ?? '').trim();
  if (v === '') return DEFAULT_NVIDIA_CAPABILITIES.slice();
  if (v.split(',').map((s) => s.trim()).includes('all')) return ALL_NVIDIA_CAPABILITIES.slice();
  const out: NvidiaCapability[] = [];
  for (const c of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(ALL_NVIDIA_CAPABILITIES as readonly string[]).includes(c)) throw new GpuSelectError(`nvidia: unsupported driver capability "${c}" (want ${ALL_NVIDIA_CAPABILITIES.join(', ')} or all)`);
    if (!out.includes(c as NvidiaCapability)) out.push(c as NvidiaCapability);
  }
  return out;
}

const RO = ['ro', 'nosuid', 'nodev', 'bind'];

/**
 * The container edits for `gpus` with `caps`: their device nodes and the control nodes, the
 * driver's files for those capabilities bound read-only, and a createContainer hook that runs
 * the host's ldconfig on `rootfs` (soname links and the container's ld cache). No GPUs
 * (NVIDIA_VISIBLE_DEVICES=none) still gives the control nodes and the driver files.
 */
export function nvidiaEdits(host: NvidiaHost, gpus: readonly NvidiaGpu[], caps: readonly NvidiaCapability[], rootfs: string): ContainerEdits {
  const want = (c: NvidiaCapability[] | '') => c === '' ? caps.length > 0 : c.some((x) => caps.includes(x));
  const deviceNodes: CdiDeviceNode[] = [
    ...gpus.map((g): CdiDeviceNode => ({ path: g.path, type: 'c', major: host.controlNodes.find((n) => n.path === '/dev/nvidiactl')?.major ?? 195, minor: g.minor, fileMode: 0o666, permissions: 'rwm' })),
    ...host.controlNodes,
  ];
  const mounts: CdiMount[] = [];
  const bind = (f: NvidiaFile, options = RO) => mounts.push({ hostPath: f.source, containerPath: f.path, type: 'bind', options });
  const libDirs = new Set<string>();
  for (const l of host.libraries) {
    if (!want(l.caps)) continue;
    bind(l.file);
    libDirs.add(path.posix.dirname(l.file.path));
  }
  for (const b of host.binaries) if (want(b.caps)) bind(b.file);
  if (caps.includes('compute') || caps.includes('utility')) for (const f of host.firmware) bind(f);
  for (const s of host.sockets) if (want(s.caps)) bind(s.file, s.file.path === '/tmp/nvidia-mps' ? ['rbind', 'nosuid', 'nodev'] : ['nosuid', 'nodev', 'bind']);
  const edits: ContainerEdits = { deviceNodes, mounts };
  if (libDirs.size && host.ldconfig) edits.hooks = [ldcacheHook(host.ldconfig, rootfs, [...libDirs].sort())];
  return edits;
}

/**
 * createContainer hook: the host's ldconfig on the container's root (`-r` chroots into it), in
 * a private mount namespace where util-linux's unshare exists, as the toolkit's update-ldcache
 * hook does. It runs after runc made the container's mounts and before pivot_root, so it sees
 * the bound libraries, writes their soname links and /etc/ld.so.cache. A rootfs that cannot
 * take a cache (no /etc) keeps the container starting; the libraries stay at their paths.
 */
export function ldcacheHook(ldconfig: string, rootfs: string, dirs: string[]): { hookName: string; path: string; args: string[] } {
  const script = 'l=$1; r=$2; shift 2; if [ -x /usr/bin/unshare ]; then /usr/bin/unshare --mount --propagation private -- "$l" -r "$r" "$@"; else "$l" -r "$r" "$@"; fi '
    + '|| echo "wharf: ldconfig on the container root failed; the NVIDIA libraries are mounted but not in its ld cache" >&2; exit 0';
  return { hookName: 'createContainer', path: '/bin/sh', args: ['sh', '-c', script, 'wharf-ldcache', ldconfig, rootfs, ...dirs] };
}
