/**
 * Container Device Interface (CDI): spec files, their validation, the registry of devices they
 * define (read from spec directories, later directories winning), the resolution of fully
 * qualified names (`vendor.com/class=name`) and the application of container edits (env,
 * device nodes, mounts, hooks, additional gids) to an OCI config. The same edits carry the
 * GPUs that `--gpus` discovers (nvidia.ts), so one code path writes every device.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseYaml } from '../common/yaml-lite.ts';
import type { DeviceCgroupRule, LinuxDeviceSpec, MountSpec, RuntimeSpec } from './spec-types.ts';

export const DEFAULT_CDI_SPEC_DIRS = ['/etc/cdi', '/var/run/cdi'];

export interface CdiDeviceNode {
  path: string;
  hostPath?: string;
  type?: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  permissions?: string;
  uid?: number;
  gid?: number;
}

export interface CdiMount { hostPath: string; containerPath: string; type?: string; options?: string[] }

export interface CdiHook { hookName: string; path: string; args?: string[]; env?: string[]; timeout?: number }

export interface ContainerEdits {
  env?: string[];
  deviceNodes?: CdiDeviceNode[];
  mounts?: CdiMount[];
  hooks?: CdiHook[];
  additionalGids?: number[];
}

export interface CdiDevice { name: string; annotations?: Record<string, string>; containerEdits: ContainerEdits }

export interface CdiSpec {
  cdiVersion: string;
  kind: string;
  annotations?: Record<string, string>;
  devices: CdiDevice[];
  containerEdits?: ContainerEdits;
}

/** A spec file that cannot be used: its path and why. */
export class CdiSpecError extends Error {}

const VERSIONS = ['0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0', '0.8.0', '1.0.0', '1.1.0'];
const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
const VENDOR_RE = /^[A-Za-z](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const CLASS_RE = /^[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

/** `vendor.com/class=name` → its parts; undefined when not a fully qualified CDI device name. */
export function parseQualifiedName(s: string): { vendor: string; cls: string; name: string } | undefined {
  const eq = s.indexOf('=');
  if (eq < 0) return undefined;
  const kind = s.slice(0, eq);
  const name = s.slice(eq + 1);
  const slash = kind.indexOf('/');
  if (slash < 0 || kind.indexOf('/', slash + 1) >= 0) return undefined;
  const vendor = kind.slice(0, slash);
  const cls = kind.slice(slash + 1);
  if (!VENDOR_RE.test(vendor) || !CLASS_RE.test(cls) || !NAME_RE.test(name)) return undefined;
  return { vendor, cls, name };
}

export function isQualifiedName(s: string): boolean {
  return parseQualifiedName(s) !== undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strArray(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new CdiSpecError(`${where} must be a list of strings`);
  return v as string[];
}

function optInt(v: unknown, where: string, min = 0): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new CdiSpecError(`${where} must be an integer >= ${min}`);
  return v;
}

function optStr(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new CdiSpecError(`${where} must be a string`);
  return v;
}

function absPath(v: unknown, where: string, required: boolean): string | undefined {
  const s = optStr(v, where);
  if (s === undefined || s === '') {
    if (required) throw new CdiSpecError(`${where} is required`);
    return undefined;
  }
  if (!s.startsWith('/')) throw new CdiSpecError(`${where} "${s}" is not an absolute path`);
  return s;
}

/** Validates one `containerEdits` object (CDI's rules) and returns it typed. */
export function validateEdits(raw: unknown, where: string): ContainerEdits {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) throw new CdiSpecError(`${where} must be an object`);
  const out: ContainerEdits = {};
  const env = strArray(raw.env, `${where}.env`);
  if (env) {
    for (const e of env) if (!/^[^=]+=/.test(e)) throw new CdiSpecError(`${where}.env: invalid environment variable "${e}" (want KEY=VALUE)`);
    out.env = env;
  }
  if (raw.deviceNodes !== undefined && raw.deviceNodes !== null) {
    if (!Array.isArray(raw.deviceNodes)) throw new CdiSpecError(`${where}.deviceNodes must be a list`);
    out.deviceNodes = raw.deviceNodes.map((d, i) => {
      const w = `${where}.deviceNodes[${i}]`;
      if (!isObj(d)) throw new CdiSpecError(`${w} must be an object`);
      const node: CdiDeviceNode = { path: absPath(d.path, `${w}.path`, true)! };
      const hostPath = absPath(d.hostPath, `${w}.hostPath`, false);
      if (hostPath) node.hostPath = hostPath;
      const type = optStr(d.type, `${w}.type`);
      if (type) {
        if (!['b', 'c', 'u', 'p'].includes(type)) throw new CdiSpecError(`${w}: invalid device type "${type}" (want b, c, u or p)`);
        node.type = type;
      }
      const major = optInt(d.major, `${w}.major`);
      const minor = optInt(d.minor, `${w}.minor`);
      if (major !== undefined) node.major = major;
      if (minor !== undefined) node.minor = minor;
      if (type === 'p' && (major !== undefined || minor !== undefined)) throw new CdiSpecError(`${w}: a fifo has no major/minor number`);
      const perms = optStr(d.permissions, `${w}.permissions`);
      if (perms !== undefined && perms !== '') {
        if (!/^[rwm]{1,3}$/.test(perms) || new Set(perms).size !== perms.length) throw new CdiSpecError(`${w}: invalid permissions "${perms}" (want some of r, w, m)`);
        node.permissions = perms;
      }
      const fileMode = optInt(d.fileMode, `${w}.fileMode`);
      if (fileMode !== undefined) node.fileMode = fileMode;
      const uid = optInt(d.uid, `${w}.uid`);
      const gid = optInt(d.gid, `${w}.gid`);
      if (uid !== undefined) node.uid = uid;
      if (gid !== undefined) node.gid = gid;
      return node;
    });
  }
  if (raw.mounts !== undefined && raw.mounts !== null) {
    if (!Array.isArray(raw.mounts)) throw new CdiSpecError(`${where}.mounts must be a list`);
    out.mounts = raw.mounts.map((m, i) => {
      const w = `${where}.mounts[${i}]`;
      if (!isObj(m)) throw new CdiSpecError(`${w} must be an object`);
      const hostPath = optStr(m.hostPath, `${w}.hostPath`);
      if (!hostPath) throw new CdiSpecError(`${w}.hostPath is required`);
      const mount: CdiMount = { hostPath, containerPath: absPath(m.containerPath, `${w}.containerPath`, true)! };
      const type = optStr(m.type, `${w}.type`);
      if (type) mount.type = type;
      const options = strArray(m.options, `${w}.options`);
      if (options) mount.options = options;
      return mount;
    });
  }
  if (raw.hooks !== undefined && raw.hooks !== null) {
    if (!Array.isArray(raw.hooks)) throw new CdiSpecError(`${where}.hooks must be a list`);
    out.hooks = raw.hooks.map((h, i) => {
      const w = `${where}.hooks[${i}]`;
      if (!isObj(h)) throw new CdiSpecError(`${w} must be an object`);
      const hookName = optStr(h.hookName, `${w}.hookName`) ?? '';
      if (!HOOK_NAMES.includes(hookName)) throw new CdiSpecError(`${w}: invalid hook name "${hookName}" (want one of ${HOOK_NAMES.join(', ')})`);
      const hook: CdiHook = { hookName, path: absPath(h.path, `${w}.path`, true)! };
      const args = strArray(h.args, `${w}.args`);
      if (args) hook.args = args;
      const henv = strArray(h.env, `${w}.env`);
      if (henv) {
        for (const e of henv) if (!/^[^=]+=/.test(e)) throw new CdiSpecError(`${w}.env: invalid environment variable "${e}"`);
        hook.env = henv;
      }
      const timeout = optInt(h.timeout, `${w}.timeout`, 1);
      if (timeout !== undefined) hook.timeout = timeout;
      return hook;
    });
  }
  if (raw.additionalGids !== undefined && raw.additionalGids !== null) {
    if (!Array.isArray(raw.additionalGids)) throw new CdiSpecError(`${where}.additionalGids must be a list`);
    out.additionalGids = raw.additionalGids.map((g, i) => optInt(g, `${where}.additionalGids[${i}]`)!);
  }
  return out;
}

function editsEmpty(e: ContainerEdits): boolean {
  return !e.env?.length && !e.deviceNodes?.length && !e.mounts?.length && !e.hooks?.length && !e.additionalGids?.length;
}

/** Parses and validates a spec's text (JSON or YAML); throws CdiSpecError naming the problem. */
export function parseCdiSpec(text: string, file = 'spec'): CdiSpec {
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) || text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CdiSpecError(`failed to parse: ${(err as Error).message}`);
  }
  if (!isObj(raw)) throw new CdiSpecError('not a CDI spec (want an object with cdiVersion, kind and devices)');
  const version = optStr(raw.cdiVersion, 'cdiVersion');
  if (!version) throw new CdiSpecError('cdiVersion is required');
  if (!VERSIONS.includes(version)) throw new CdiSpecError(`unsupported cdiVersion "${version}" (supported: ${VERSIONS.join(', ')})`);
  const kind = optStr(raw.kind, 'kind') ?? '';
  const slash = kind.indexOf('/');
  const vendor = kind.slice(0, slash);
  const cls = kind.slice(slash + 1);
  if (slash < 0 || !VENDOR_RE.test(vendor) || !CLASS_RE.test(cls) || cls.length > 63) {
    throw new CdiSpecError(`invalid kind "${kind}" (want vendor.com/class: letters, digits, '.', '-' and '_', starting with a letter)`);
  }
  if (!Array.isArray(raw.devices) || raw.devices.length === 0) throw new CdiSpecError('devices: at least one device is required');
  const names = new Set<string>();
  const devices = raw.devices.map((d, i): CdiDevice => {
    if (!isObj(d)) throw new CdiSpecError(`devices[${i}] must be an object`);
    // A YAML writer may leave a numeric name unquoted (`name: 0`): it is still the name "0".
    const name = typeof d.name === 'number' && Number.isSafeInteger(d.name) && d.name >= 0 ? String(d.name) : optStr(d.name, `devices[${i}].name`) ?? '';
    if (!NAME_RE.test(name)) throw new CdiSpecError(`devices[${i}]: invalid device name "${name}" (letters, digits, '-', '_', '.' and ':', starting and ending with a letter or digit)`);
    if (names.has(name)) throw new CdiSpecError(`device "${name}" is defined twice`);
    names.add(name);
    const containerEdits = validateEdits(d.containerEdits, `device "${name}" containerEdits`);
    if (editsEmpty(containerEdits)) throw new CdiSpecError(`device "${name}" has no container edits`);
    const out: CdiDevice = { name, containerEdits };
    if (isObj(d.annotations)) out.annotations = d.annotations as Record<string, string>;
    return out;
  });
  const spec: CdiSpec = { cdiVersion: version, kind, devices };
  if (raw.containerEdits !== undefined && raw.containerEdits !== null) spec.containerEdits = validateEdits(raw.containerEdits, 'containerEdits');
  if (isObj(raw.annotations)) spec.annotations = raw.annotations as Record<string, string>;
  return spec;
}

export interface CdiEntry { qualified: string; spec: CdiSpec; device: CdiDevice; file: string; priority: number }

export interface CdiRegistry {
  devices: Map<string, CdiEntry>;
  /** Spec files refused and device names defined twice at the same priority: `file: reason`. */
  errors: string[];
}

/** Reads every `*.json`, `*.yaml`, `*.yml` of `dirs` (missing directories are skipped). */
export function loadCdiRegistry(dirs: readonly string[] = DEFAULT_CDI_SPEC_DIRS): CdiRegistry {
  const devices = new Map<string, CdiEntry>();
  const conflicts = new Set<string>();
  const errors: string[] = [];
  dirs.forEach((dir, priority) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => /\.(json|ya?ml)$/i.test(n)).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const file = path.join(dir, n);
      let spec: CdiSpec;
      try {
        if (!fs.statSync(file).isFile()) continue;
        spec = parseCdiSpec(fs.readFileSync(file, 'utf8'), file);
      } catch (err) {
        errors.push(`${file}: ${(err as Error).message}`);
        continue;
      }
      for (const device of spec.devices) {
        const qualified = `${spec.kind}=${device.name}`;
        const prev = devices.get(qualified);
        if (prev && prev.priority === priority) {
          conflicts.add(qualified);
          errors.push(`${file}: device ${qualified} is also defined in ${prev.file}`);
          continue;
        }
        conflicts.delete(qualified);
        devices.set(qualified, { qualified, spec, device, file, priority });
      }
    }
  });
  for (const c of conflicts) devices.delete(c);
  return { devices, errors };
}

/** Thrown when named devices cannot be resolved; the message is docker's. */
export class CdiResolveError extends Error {}

/**
 * The edits for `names` (fully qualified): each spec's own edits once, then each device's.
 * Throws CdiResolveError listing the names no valid spec defines.
 */
export function resolveCdiDevices(reg: CdiRegistry, names: readonly string[]): ContainerEdits[] {
  const bad = names.filter((n) => !reg.devices.has(n));
  if (bad.length) {
    const invalid = names.filter((n) => !isQualifiedName(n));
    let msg = `CDI device injection failed: unresolvable CDI devices ${bad.join(', ')}`;
    if (invalid.length) msg += ` (not fully qualified CDI device names, want vendor.com/class=name: ${invalid.join(', ')})`;
    if (reg.errors.length) msg += `; CDI spec errors: ${reg.errors.join('; ')}`;
    throw new CdiResolveError(msg);
  }
  const out: ContainerEdits[] = [];
  const specsDone = new Set<CdiSpec>();
  const entries = [...new Set(names)].map((n) => reg.devices.get(n)!);
  for (const e of entries) {
    if (!specsDone.has(e.spec) && e.spec.containerEdits) out.push(e.spec.containerEdits);
    specsDone.add(e.spec);
  }
  for (const e of entries) out.push(e.device.containerEdits);
  return out;
}

/** Host facts the edits need (injectable for tests). */
export interface EditHost {
  /** stat of a host device node: type and numbers (defaults to fs.statSync). */
  statDevice?: (p: string) => { type: 'b' | 'c' | 'p'; major: number; minor: number; mode: number };
}

function statDevice(p: string): { type: 'b' | 'c' | 'p'; major: number; minor: number; mode: number } {
  const st = fs.statSync(p);
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
  if (!type) throw new Error(`${p} is not a device node`);
  const rdev = st.rdev;
  return { type, major: Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn)), minor: Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & 0xfff00n)), mode: st.mode & 0o777 };
}

/** One device node edit → its OCI device and cgroup rule (numbers from the host where absent). */
export function deviceNodeSpec(d: CdiDeviceNode, host: EditHost = {}): { device: LinuxDeviceSpec; rule?: DeviceCgroupRule } {
  let { type, major, minor, fileMode } = d;
  if (type === undefined || (type !== 'p' && (major === undefined || minor === undefined))) {
    const src = d.hostPath ?? d.path;
    let st;
    try {
      st = (host.statDevice ?? statDevice)(src);
    } catch (err) {
      throw new CdiResolveError(`CDI device injection failed: device node ${src}: ${(err as Error).message}`);
    }
    if (type !== undefined && type !== st.type && !(type === 'u' && st.type === 'c')) throw new CdiResolveError(`CDI device injection failed: device node ${src} is of type ${st.type}, the spec says ${type}`);
    type ??= st.type;
    major ??= st.major;
    minor ??= st.minor;
    fileMode ??= st.mode;
  }
  const device: LinuxDeviceSpec = { path: d.path, type: type as LinuxDeviceSpec['type'], major: major ?? 0, minor: minor ?? 0 };
  if (fileMode !== undefined) device.fileMode = fileMode;
  if (d.uid !== undefined) device.uid = d.uid;
  if (d.gid !== undefined) device.gid = d.gid;
  if (type === 'p') return { device };
  const rule: DeviceCgroupRule = { allow: true, type: type === 'b' ? 'b' : 'c', major: device.major, minor: device.minor, access: d.permissions || 'rwm' };
  return { device, rule };
}

function mountSpec(m: CdiMount): MountSpec {
  const type = m.type || 'bind';
  const options = (m.options ?? []).slice();
  if (type === 'bind' && !options.includes('bind') && !options.includes('rbind')) options.push('bind');
  return { destination: m.containerPath, type, source: m.hostPath, options };
}

/** Applies container edits to an OCI config in place (CDI's order: env, devices, mounts, hooks, gids). */
export function applyContainerEdits(spec: RuntimeSpec, all: readonly ContainerEdits[], host: EditHost = {}): void {
  for (const e of all) {
    for (const kv of e.env ?? []) {
      const k = kv.slice(0, kv.indexOf('='));
      const i = spec.process.env.findIndex((x) => x.split('=', 1)[0] === k);
      if (i >= 0) spec.process.env[i] = kv;
      else spec.process.env.push(kv);
    }
    for (const d of e.deviceNodes ?? []) {
      const { device, rule } = deviceNodeSpec(d, host);
      const devs = (spec.linux.devices ??= []);
      const i = devs.findIndex((x) => x.path === device.path);
      if (i >= 0) devs.splice(i, 1);
      devs.push(device);
      const rules = ((spec.linux.resources ??= {}).devices ??= []);
      if (rule && !rules.some((r) => r.allow && r.type === rule.type && r.major === rule.major && r.minor === rule.minor && r.access === rule.access)) rules.push(rule);
    }
    const added: MountSpec[] = [];
    for (const m of e.mounts ?? []) {
      const ms = mountSpec(m);
      const i = spec.mounts.findIndex((x) => x.destination === ms.destination);
      if (i >= 0) spec.mounts.splice(i, 1);
      added.push(ms);
    }
    // Parents before children (CDI sorts a set of mounts by the depth of their destination).
    added.sort((a, b) => a.destination.split('/').length - b.destination.split('/').length);
    spec.mounts.push(...added);
    for (const h of e.hooks ?? []) {
      const hooks = (spec.hooks ??= {});
      const entry: { path: string; args?: string[]; env?: string[]; timeout?: number } = { path: h.path };
      if (h.args) entry.args = h.args.slice();
      if (h.env) entry.env = h.env.slice();
      if (h.timeout) entry.timeout = h.timeout;
      (hooks[h.hookName] ??= []).push(entry);
    }
    if (e.additionalGids?.length) {
      const u = spec.process.user;
      const gids = new Set([...(u.additionalGids ?? []), ...e.additionalGids.filter((g) => g !== 0)]);
      if (gids.size) u.additionalGids = [...gids];
    }
  }
}
