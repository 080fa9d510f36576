/**
 * Binds, volumes, tmpfs and --volumes-from → the container's mount points, validated with
 * docker's messages (SECURITY-CHECKS 16–17), and then → OCI mounts for the runtime spec.
 *
 *   -v /host:/ctr[:ro|rw][,z]   bind (a missing host dir is created)
 *   -v name:/ctr[:ro]           named volume (created on first use)
 *   -v /ctr  and image VOLUME   anonymous volume
 *   --mount type=bind|volume|tmpfs,…   HostConfig.Mounts
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, SystemError } from '../../common/errors.ts';
import type { HostConfig, MountPointRecord, MountRequest } from './record.ts';
import { validateVolumeName } from '../volumes/index.ts';

const MODES = new Set(['ro', 'rw', 'z', 'Z', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'nocopy', 'delegated', 'cached', 'consistent']);

/** The volume service as the container engine needs it. */
export interface VolumeProvider {
  /** Returns the volume's directory on the host, creating the volume when missing. */
  ensure(name: string, opts: { anonymous: boolean; containerId: string; labels?: Record<string, string>; driverOpts?: Record<string, string>; driver?: string; destination?: string; rw?: boolean; propagation?: string }): { mountpoint: string; created: boolean };
  /** Creates a named volume now if it does not exist (docker creates them at container create). */
  create?(req: { Name: string; Driver?: string; Labels?: Record<string, string>; DriverOpts?: Record<string, string> }): unknown;
  /** Throws docker's 404 (`create <volume>: error looking up volume plugin …`) when no volume driver has that name. */
  checkDriver?(driver: string, volume: string): void;
  /** Whether the volume's directory is empty (copy-up target). */
  isEmpty(name: string): boolean;
  /** The container stopped using the volume (its run ended): `unmount` event, driver unmount when last. */
  unmount?(name: string, containerId: string): void;
}

function cleanDest(dest: string, spec: string): string {
  if (!dest.startsWith('/')) throw new InvalidArgumentError(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${dest}' mount path must be absolute`);
  const c = path.posix.normalize(dest);
  if (c === '/') throw new InvalidArgumentError(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid specification: destination can't be '/'`);
  return c.replace(/\/$/, '');
}

/** Parses one `-v` / Binds entry. */
export function parseBind(spec: string): MountPointRecord {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  if (parts.length === 1) {
    return { Type: 'volume', Name: '', Source: '', Destination: cleanDest(parts[0]!, spec), Driver: 'local', Mode: '', RW: true, Propagation: '', Anonymous: true };
  }
  const [src, dst, mode = ''] = parts as [string, string, string?];
  const modes = mode ? mode.split(',') : [];
  for (const m of modes) if (!MODES.has(m)) throw new InvalidArgumentError(`invalid mode: ${m}`);
  const rw = !modes.includes('ro');
  const propagation = modes.find((m) => /^r?(shared|slave|private)$/.test(m)) ?? '';
  const destination = cleanDest(dst, spec);
  if (src.startsWith('/')) {
    return { Type: 'bind', Source: path.posix.normalize(src), Destination: destination, Mode: mode, RW: rw, Propagation: propagation || 'rprivate' };
  }
  if (src.startsWith('.') || src.includes('/')) {
    throw new InvalidArgumentError(`invalid volume specification: '${spec}': invalid mount config for type "volume": invalid volume name "${src}": "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  validateVolumeName(src);
  return { Type: 'volume', Name: src, Source: '', Destination: destination, Driver: 'local', Mode: mode, RW: rw, Propagation: '' };
}

/** The shapes docker's decoder insists on (a 400 where Go's json would fail), before any use. */
function checkMountTypes(m: unknown): asserts m is MountRequest {
  const obj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const bad = (field: string, goType: string) => new InvalidArgumentError(`json: cannot unmarshal into Go struct field Mount.${field} of type ${goType}`);
  if (!obj(m)) throw new InvalidArgumentError('invalid mount config: a mount must be an object');
  const r = m as Record<string, unknown>;
  for (const f of ['Type', 'Source', 'Target', 'Consistency']) if (r[f] !== undefined && r[f] !== null && typeof r[f] !== 'string') throw bad(f, 'string');
  if (r.ReadOnly !== undefined && r.ReadOnly !== null && typeof r.ReadOnly !== 'boolean') throw bad('ReadOnly', 'bool');
  for (const f of ['BindOptions', 'VolumeOptions', 'TmpfsOptions']) if (r[f] !== undefined && r[f] !== null && !obj(r[f])) throw bad(f, `mount.${f}`);
  const b = r.BindOptions as Record<string, unknown> | undefined | null;
  if (b?.Propagation !== undefined && b.Propagation !== null && b.Propagation !== '') {
    if (typeof b.Propagation !== 'string' || !['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'].includes(b.Propagation)) {
      throw new InvalidArgumentError(`invalid mount config: invalid propagation mode: ${String(b.Propagation)}`);
    }
  }
  const t = r.TmpfsOptions as Record<string, unknown> | undefined | null;
  for (const f of ['SizeBytes', 'Mode']) {
    const v = t?.[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`TmpfsOptions.${f}`, f === 'Mode' ? 'fs.FileMode' : 'int64');
    if (v < 0) throw new InvalidArgumentError(`invalid mount config for type "tmpfs": invalid ${f === 'Mode' ? 'mode' : 'size'} ${v}`);
  }
  const v = r.VolumeOptions as Record<string, unknown> | undefined | null;
  if (v) {
    for (const f of ['Labels', 'DriverConfig']) if (v[f] !== undefined && v[f] !== null && !obj(v[f])) throw bad(`VolumeOptions.${f}`, f === 'Labels' ? 'map[string]string' : 'mount.Driver');
    const dc = v.DriverConfig as Record<string, unknown> | undefined | null;
    if (dc?.Name !== undefined && dc.Name !== null && typeof dc.Name !== 'string') throw bad('VolumeOptions.DriverConfig.Name', 'string');
    if (dc?.Options !== undefined && dc.Options !== null && !obj(dc.Options)) throw bad('VolumeOptions.DriverConfig.Options', 'map[string]string');
  }
}

export function parseMount(m: MountRequest): MountPointRecord {
  checkMountTypes(m);
  const known = new Set(['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions']);
  for (const k of Object.keys(m)) if (!known.has(k)) throw new InvalidArgumentError(`invalid mount config: unknown field "${k}"`);
  const type = m.Type;
  if (!['bind', 'volume', 'tmpfs'].includes(type)) throw new InvalidArgumentError(`invalid mount config for type "${type}": mount type unknown`);
  if (!m.Target) throw new InvalidArgumentError(`invalid mount config for type "${type}": field Target must not be empty`);
  if (!m.Target.startsWith('/')) throw new InvalidArgumentError(`invalid mount config for type "${type}": invalid mount path: '${m.Target}' mount path must be absolute`);
  const dest = path.posix.normalize(m.Target).replace(/(.)\/$/, '$1');
  if (dest === '/') throw new InvalidArgumentError(`invalid mount config for type "${type}": invalid specification: destination can't be '/'`);
  const rw = !m.ReadOnly;
  if (type === 'bind') {
    if (!m.Source) throw new InvalidArgumentError('invalid mount config for type "bind": field Source must not be empty');
    if (!m.Source.startsWith('/')) throw new InvalidArgumentError(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
    if (!fs.existsSync(m.Source) && !m.BindOptions?.CreateMountpoint) throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
    return { Type: 'bind', Source: m.Source, Destination: dest, Mode: '', RW: rw, Propagation: m.BindOptions?.Propagation ?? 'rprivate' };
  }
  if (type === 'tmpfs') {
    if (m.Source) throw new InvalidArgumentError('invalid mount config for type "tmpfs": field Source must not be specified');
    const opts: string[] = [];
    if (m.TmpfsOptions?.SizeBytes) opts.push(`size=${m.TmpfsOptions.SizeBytes}`);
    if (m.TmpfsOptions?.Mode) opts.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
    return { Type: 'tmpfs', Source: '', Destination: dest, Mode: opts.join(','), RW: rw, Propagation: '' };
  }
  if (m.Source) validateVolumeName(m.Source);
  const vo = m.VolumeOptions;
  const volumeOptions = vo?.Labels || vo?.DriverConfig?.Options ? { Labels: vo?.Labels, DriverOpts: vo?.DriverConfig?.Options } : undefined;
  return { Type: 'volume', Name: m.Source ?? '', Source: '', Destination: dest, Driver: vo?.DriverConfig?.Name ?? 'local', Mode: vo?.NoCopy ? 'nocopy' : '', RW: rw, Propagation: '', Anonymous: !m.Source, ...(volumeOptions ? { VolumeOptions: volumeOptions } : {}) };
}

/**
 * All mount points of a new container: --volumes-from first (overridden by explicit ones),
 * then Binds, Mounts, Config.Volumes and the image's VOLUMEs (anonymous unless covered).
 */
export function planMounts(hc: HostConfig, configVolumes: Record<string, object> | null, imageVolumes: Record<string, object> | null | undefined, volumesFrom: MountPointRecord[]): MountPointRecord[] {
  // `--volume-driver`: the driver of the volumes that name none (binds' named and anonymous
  // volumes, the image's and Config.Volumes; `--mount`'s volume-driver wins), as docker.
  const volumeDriver = hc.VolumeDriver || 'local';
  const withDriver = (m: MountPointRecord) => (m.Type === 'volume' ? { ...m, Driver: volumeDriver } : m);
  const explicit: MountPointRecord[] = [];
  for (const b of hc.Binds ?? []) explicit.push(withDriver(parseBind(b)));
  for (const m of hc.Mounts ?? []) {
    const p = parseMount(m); // checks the shape first: a null entry is a 400
    explicit.push(m.VolumeOptions?.DriverConfig?.Name ? p : withDriver(p));
  }
  for (const [dest, opts] of Object.entries(hc.Tmpfs ?? {})) explicit.push({ Type: 'tmpfs', Source: '', Destination: cleanDest(dest, dest), Mode: String(opts ?? ''), RW: true, Propagation: '' });
  const seen = new Set<string>();
  for (const m of explicit) {
    if (seen.has(m.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.Destination}`);
    seen.add(m.Destination);
  }
  const out = [...explicit];
  for (const m of volumesFrom) if (!seen.has(m.Destination)) { out.push(m); seen.add(m.Destination); }
  for (const dest of [...Object.keys(configVolumes ?? {}), ...Object.keys(imageVolumes ?? {})]) {
    const d = cleanDest(dest, dest);
    if (seen.has(d)) continue;
    seen.add(d);
    out.push({ Type: 'volume', Name: '', Source: '', Destination: d, Driver: volumeDriver, Mode: '', RW: true, Propagation: '', Anonymous: true });
  }
  return out;
}

/** `--volumes-from C[:ro|rw]`: the other container's mounts, read-only ones stay read-only. */
export function inheritMounts(spec: string, source: MountPointRecord[]): MountPointRecord[] {
  const [, mode] = spec.split(':');
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new InvalidArgumentError(`invalid mode for volumes-from: ${mode}`);
  return source.filter((m) => m.Type !== 'tmpfs').map((m) => ({ ...m, Anonymous: false, RW: mode === 'ro' ? false : m.RW, Mode: mode ?? m.Mode }));
}

/** Gives every anonymous volume a name (64 hex chars, like docker). */
export function nameAnonymous(mounts: MountPointRecord[]): void {
  for (const m of mounts) if (m.Type === 'volume' && !m.Name) m.Name = randomBytes(32).toString('hex');
}

export interface OciMount { destination: string; type: string; source: string; options: string[] }

/** Mount points → OCI mounts (sources must be resolved: volume Source = its directory). */
export function toOciMounts(mounts: MountPointRecord[]): OciMount[] {
  return mounts.map((m) => {
    if (m.Type === 'tmpfs') {
      const opts = ['nosuid', 'nodev', 'noexec', ...(m.Mode ? m.Mode.split(',').filter(Boolean) : [])];
      if (!m.RW) opts.push('ro');
      return { destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: opts };
    }
    const opts = ['rbind', m.RW ? 'rw' : 'ro'];
    if (m.Propagation) opts.push(m.Propagation);
    return { destination: m.Destination, type: 'bind', source: m.Source, options: opts };
  });
}

/** mkdir -p one level at a time (Node's recursive mkdir can spin forever on procfs's ENOENT). */
function mkdirAll(dir: string): void {
  let cur = '/';
  for (const part of dir.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    try {
      fs.mkdirSync(cur, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Creates missing host directories for binds (docker's -v behaviour); refuses what it can't create. */
export function ensureBindSources(mounts: MountPointRecord[]): void {
  for (const m of mounts) {
    if (m.Type !== 'bind') continue;
    if (fs.existsSync(m.Source)) continue;
    try {
      mkdirAll(m.Source);
    } catch (err) {
      // docker: a spec error at start → 500 (errdefs.System).
      throw new SystemError(`error while creating mount source path '${m.Source}': ${(err as Error).message}`);
    }
  }
}

/**
 * Resolves `p` inside `root` the way runc places mounts: symlinks are followed, absolute ones
 * and `..` relative to `root`, never above it (copy-up reads the image's content here, so a
 * `VOLUME` over a link to `/../../etc` reads the container's /etc, never the host's).
 */
export function resolveInRoot(root: string, p: string): string {
  const parts = p.split('/').filter(Boolean);
  let resolved = '';
  let links = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') { resolved = path.posix.dirname('/' + resolved).slice(1); continue; }
    const next = resolved ? `${resolved}/${part}` : part;
    let st: fs.Stats;
    try { st = fs.lstatSync(path.join(root, next)); } catch { resolved = next; continue; }
    if (!st.isSymbolicLink()) { resolved = next; continue; }
    if (++links > 255) throw new InvalidArgumentError(`too many levels of symbolic links: ${p}`);
    const target = fs.readlinkSync(path.join(root, next));
    if (target.startsWith('/')) resolved = '';
    parts.unshift(...target.split('/').filter(Boolean));
  }
  return path.join(root, resolved);
}
