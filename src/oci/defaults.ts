/**
 * Docker's default container environment as moby HEAD writes it (daemon/pkg/oci/defaults.go,
 * daemon/oci_linux.go): masked and read-only /proc paths, the device cgroup rules, the
 * default mounts, the devices of `--privileged`, and `--device-cgroup-rule` parsing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../common/errors.ts';
import type { DeviceCgroupRule, LinuxDeviceSpec, MountSpec } from './spec-types.ts';
import { onlyErrno } from '../common/cleanups.ts';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export const MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
  '/sys/devices/system/cpu/cpu0/thermal_throttle',
  '/sys/devices/system/cpu/cpu1/thermal_throttle',
];

export const READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/**
 * HEAD masks the thermal_throttle dir of every CPU the host has; list them from sysfs
 * (the two fixed entries above cover hosts where sysfs cannot be read).
 */
export function maskedPaths(): string[] {
  const out = MASKED_PATHS.filter((p) => !p.includes('thermal_throttle'));
  let cpus: string[] = [];
  try {
    cpus = fs.readdirSync('/sys/devices/system/cpu').filter((n) => /^cpu\d+$/.test(n));
  } catch (err) { onlyErrno(err, 'ENOENT'); /* no sysfs */ }
  if (cpus.length === 0) cpus = ['cpu0', 'cpu1'];
  cpus.sort((a, b) => parseInt(a.slice(3), 10) - parseInt(b.slice(3), 10));
  for (const c of cpus) out.push(`/sys/devices/system/cpu/${c}/thermal_throttle`);
  return out;
}

/** Device cgroup rules (appendix A): deny all, allow the basic char devices, deny fuse. */
export function defaultDeviceRules(): DeviceCgroupRule[] {
  const allow = (major: number, minor: number): DeviceCgroupRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5), allow(1, 3), allow(1, 9), allow(1, 8), allow(5, 0), allow(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}

const CGROUP_RULE_RE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `--device-cgroup-rule "c 7:128 rwm"` → an allow rule; `*` (any major/minor) leaves the number out. */
export function parseDeviceCgroupRule(rule: string): DeviceCgroupRule {
  const m = CGROUP_RULE_RE.exec(rule);
  if (!m) throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
  const out: DeviceCgroupRule = { allow: true, type: m[1] as 'a' | 'b' | 'c', access: m[4]! };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  for (const [what, v] of [['major', out.major], ['minor', out.minor]] as const) {
    if (v !== undefined && v !== null && !Number.isSafeInteger(v)) throw new InvalidArgumentError(`invalid ${what} value in device cgroup rule format: '${rule}'`);
  }
  return out;
}

/** The mounts every container gets (before binds, volumes and tmpfs mounts are added). */
export function defaultMounts(shmSize = DEFAULT_SHM_SIZE, privileged = false): MountSpec[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

function deviceFromPath(hostPath: string, containerPath: string): LinuxDeviceSpec | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(hostPath);
  } catch {
    return undefined;
  }
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
  if (!type) return undefined;
  const rdev = st.rdev;
  const major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff);
  return { path: containerPath, type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/**
 * `--device /dev/x[:/dev/y[:rwm]]` → the device node and its cgroup rule. A directory source
 * adds every device under it. Unknown host paths give `error gathering device information`.
 */
export function deviceMapping(spec: string): { devices: LinuxDeviceSpec[]; rules: DeviceCgroupRule[] } {
  const parts = spec.split(':');
  const host = parts[0] ?? '';
  let container = host;
  let perms = 'rwm';
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) perms = parts[1]!;
    else container = parts[1]!;
  } else if (parts.length >= 3) {
    container = parts[1]!;
    perms = parts[2]!;
  }
  const devices: LinuxDeviceSpec[] = [];
  const walk = (h: string, c: string): void => {
    const st = fs.statSync(h);
    if (st.isDirectory()) {
      for (const n of fs.readdirSync(h)) walk(path.join(h, n), path.join(c, n));
      return;
    }
    const d = deviceFromPath(h, c);
    if (d) devices.push(d);
  };
  try {
    walk(host, container);
  } catch (err) {
    // The device a client named does not exist or cannot be read: its request, not a daemon fault.
    throw new InvalidArgumentError(`error gathering device information while adding custom device "${host}": ${(err as Error).message}`);
  }
  if (devices.length === 0) {
    throw new InvalidArgumentError(`error gathering device information while adding custom device "${host}": not a device node`);
  }
  const rules = devices.map((d): DeviceCgroupRule => ({ allow: true, type: d.type === 'b' ? 'b' : 'c', major: d.major, minor: d.minor, access: perms }));
  return { devices, rules };
}

/** Every device node under the host's /dev (for `--privileged`), skipping pts and the console tty. */
export function hostDevices(): LinuxDeviceSpec[] {
  const out: LinuxDeviceSpec[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      if (p === '/dev/pts' || p === '/dev/shm' || p === '/dev/mqueue' || p === '/dev/console') continue;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const d = deviceFromPath(p, p);
        if (d && !(d.type === 'c' && d.major === 5 && d.minor === 1)) out.push(d);
      }
    }
  };
  walk('/dev');
  return out;
}
