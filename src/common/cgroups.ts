/**
 * The host's cgroup layout and where a cgroup lives in it: the one place that knows cgroup
 * v1 (one hierarchy per controller, e.g. /sys/fs/cgroup/memory/wharf/<id>), v2 (one unified
 * dir, /sys/fs/cgroup/wharf/<id>) and the hybrid of the two (v1 controllers plus an empty v2
 * at /sys/fs/cgroup/unified, which counts as v1: the controllers are in v1). The layout comes
 * from /proc/self/mountinfo. A container's cgroup path is runc's cgroupsPath,
 * `/<cgroup parent>/<id>` (cgroupfs style; parent `wharf` unless `--cgroup-parent` says).
 *
 *   const layout = detectCgroupLayout();          // { version: 1, controllers: { memory: '/sys/fs/cgroup/memory', … } }
 *   containerCgroupPath(id, hc.CgroupParent);      // '/wharf/<id>'
 *   containerCgroupDirs(layout, id);               // { version: 1, dirs: { memory: '…/memory/wharf/<id>', … } }
 */
import fs from 'node:fs';
import path from 'node:path';

export type CgroupLayout =
  | { version: 1; controllers: Record<string, string> }
  | { version: 2; root: string };

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio', 'cpuset', 'freezer', 'devices'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupDirs =
  | { version: 1; dirs: Record<'cpu' | 'cpuacct' | 'memory' | 'pids' | 'blkio' | 'cpuset', string | undefined> }
  | { version: 2; dir: string };

/** Parses /proc/self/mountinfo text into the cgroup layout. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const controllers: Record<string, string> = {};
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = left[4] ?? '';
    if (fstype === 'cgroup2') unified ??= mountPoint;
    if (fstype !== 'cgroup') continue;
    for (const opt of superOpts.split(',')) {
      if ((V1_CONTROLLERS as readonly string[]).includes(opt)) controllers[opt] ??= mountPoint;
    }
  }
  if (Object.keys(controllers).length > 0) return { version: 1, controllers };
  return { version: 2, root: unified ?? '/sys/fs/cgroup' };
}

let cached: CgroupLayout | undefined;

/** This host's layout (read once). */
export function detectCgroupLayout(): CgroupLayout {
  return (cached ??= parseCgroupLayout(fs.readFileSync('/proc/self/mountinfo', 'utf8')));
}

/** docker info's CgroupVersion: "1" on a v1 or hybrid host, "2" on a pure unified one. */
export function cgroupVersion(): '1' | '2' {
  try {
    return detectCgroupLayout().version === 2 ? '2' : '1';
  } catch {
    return '1';
  }
}

/** A container's cgroup path (runc's cgroupsPath): `/<parent>/<id>`, parent's empty components dropped, `wharf` when none. */
export function containerCgroupPath(id: string, cgroupParent = 'wharf'): string {
  const parent = cgroupParent.split('/').filter(Boolean).join('/') || 'wharf';
  return `/${parent}/${id}`;
}

/** The directories of cgroup `cgroupPath` (`/wharf/<id>`): one per mounted controller on v1, the unified one on v2. */
export function cgroupDirs(layout: CgroupLayout, cgroupPath: string): CgroupDirs {
  if (layout.version === 2) return { version: 2, dir: path.join(layout.root, cgroupPath) };
  const at = (c: V1Controller) => (layout.controllers[c] ? path.join(layout.controllers[c]!, cgroupPath) : undefined);
  return { version: 1, dirs: { cpu: at('cpu'), cpuacct: at('cpuacct'), memory: at('memory'), pids: at('pids'), blkio: at('blkio'), cpuset: at('cpuset') } };
}

/** A container's cgroup directories (see `containerCgroupPath`). */
export function containerCgroupDirs(layout: CgroupLayout, id: string, cgroupParent?: string): CgroupDirs {
  return cgroupDirs(layout, containerCgroupPath(id, cgroupParent));
}

/** Whether memory+swap limits can be set: always on v2, with swap accounting (memory.memsw.*) on v1. */
export function swapLimitSupported(layout: CgroupLayout): boolean {
  if (layout.version === 2) return true;
  const mem = layout.controllers.memory;
  return mem !== undefined && fs.existsSync(path.join(mem, 'memory.memsw.limit_in_bytes'));
}

/** Whether a Block I/O weight can be set (`--blkio-weight`): v1's blkio.weight (CFQ/BFQ), v2's io controller. */
export function blkioWeightSupported(layout: CgroupLayout): boolean {
  if (layout.version === 2) {
    try {
      return fs.readFileSync(path.join(layout.root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('io');
    } catch {
      return false;
    }
  }
  const blkio = layout.controllers.blkio;
  return blkio !== undefined && (fs.existsSync(path.join(blkio, 'blkio.weight')) || fs.existsSync(path.join(blkio, 'blkio.bfq.weight')));
}
