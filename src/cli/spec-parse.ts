/**
 * Parsers for the value syntaxes docker's run/create flags accept: `-p` port specs, `-v`
 * volume specs, `--mount` CSV, `--ulimit`, `--restart`, `--gpus`, `--device`, env files and
 * Go durations. Pure functions; errors are FlagError with docker's wording.
 */

import type { DeviceMapping, DeviceRequest, Mount, PortBinding, RestartPolicy, Ulimit } from '../api/types/container.ts';
import { parseGoDuration } from '../api/types/docker-time.ts';

/** The wire types these parsers produce (api/types/container.ts). */
export type { DeviceMapping, DeviceRequest, PortBinding, RestartPolicy, Ulimit };
export type MountSpec = Mount;

/** A bad flag value; `message` is what docker prints after `docker: `. */
export class FlagError extends Error {}

/** `invalid argument "V" for "F" flag: why` — pflag's wording for values a flag rejects. */
export function invalidArg(value: string, flag: string, why: string): FlagError {
  return new FlagError(`invalid argument "${value}" for "${flag}" flag: ${why}`);
}

export interface PortSpecs { exposed: Record<string, Record<string, never>>; bindings: Record<string, PortBinding[]> }

function parseRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a) return undefined;
  return [a, b];
}

/** Splits `ip:host:container/proto` (the IP may be `[v6]`). */
function splitPortSpec(spec: string): { ip: string; host: string; container: string } {
  let rest = spec;
  let ip = '';
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end > 0 && rest[end + 1] === ':') { ip = rest.slice(1, end); rest = rest.slice(end + 2); }
  }
  const parts = rest.split(':');
  if (ip) {
    if (parts.length === 1) return { ip, host: '', container: parts[0]! };
    return { ip, host: parts[0]!, container: parts.slice(1).join(':') };
  }
  if (parts.length === 1) return { ip: '', host: '', container: parts[0]! };
  if (parts.length === 2) return { ip: '', host: parts[0]!, container: parts[1]! };
  const container = parts.pop()!;
  const host = parts.pop()!;
  return { ip: parts.join(':'), host, container };
}

/** `-p` values → ExposedPorts and PortBindings, like nat.ParsePortSpecs. */
export function parsePortSpecs(specs: string[]): PortSpecs {
  const out: PortSpecs = { exposed: {}, bindings: {} };
  for (const raw of specs) {
    const { ip, host, container: c0 } = splitPortSpec(raw);
    const slash = c0.indexOf('/');
    const container = slash < 0 ? c0 : c0.slice(0, slash);
    const proto = slash < 0 ? 'tcp' : c0.slice(slash + 1).toLowerCase();
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new FlagError(`invalid proto: ${proto}`);
    if (ip && !isIp(ip)) throw new FlagError(`invalid IP address: ${ip}`);
    if (container === '') throw new FlagError(`no port specified: ${raw}<empty>`);
    const cr = parseRange(container);
    if (!cr) throw new FlagError(`invalid containerPort: ${container}`);
    let hr: [number, number] | undefined;
    if (host !== '') {
      hr = parseRange(host);
      if (!hr) throw new FlagError(`invalid hostPort: ${host}`);
    }
    const clen = cr[1] - cr[0];
    if (hr && hr[1] - hr[0] !== clen && clen !== 0) throw new FlagError(`invalid ranges specified for container and host Ports: ${container} and ${host}`);
    for (let i = 0; i <= clen; i++) {
      const key = `${cr[0] + i}/${proto}`;
      out.exposed[key] = {};
      let hostPort = '';
      if (hr) hostPort = clen === 0 && hr[1] !== hr[0] ? `${hr[0]}-${hr[1]}` : String(hr[0] + i);
      (out.bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return out;
}

/** `--expose 80`, `--expose 8000-8010/udp` → port keys. */
export function parseExpose(spec: string): string[] {
  const slash = spec.indexOf('/');
  const port = slash < 0 ? spec : spec.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1);
  const r = parseRange(port);
  if (!r) throw new FlagError(`invalid range format for --expose: ${spec}, error: invalid port ${port}`);
  const out: string[] = [];
  for (let p = r[0]; p <= r[1]; p++) out.push(`${p}/${proto}`);
  return out;
}

export function isIp(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((x) => Number(x) <= 255);
  return /^[0-9a-fA-F:]+$/.test(s) && s.includes(':');
}

export interface VolumeSpec { kind: 'bind' | 'volume' | 'anonymous'; source: string; target: string; mode: string }

/** One `-v` value: `/host:/ctr[:opts]`, `name:/ctr[:opts]` or `/ctr`. */
export function parseVolumeSpec(spec: string, cwd = process.cwd()): VolumeSpec {
  if (spec.trim() === '') throw new FlagError('invalid empty volume spec');
  const parts = spec.split(':');
  if (parts.length > 3) throw new FlagError(`invalid spec: ${spec}: too many colons`);
  if (parts.length === 1) return { kind: 'anonymous', source: '', target: spec, mode: '' };
  if (parts.length === 2 && !parts[1]!.startsWith('/') && parts[0]!.startsWith('/')) {
    // `/ctr:ro` — an anonymous volume with options.
    return { kind: 'anonymous', source: '', target: parts[0]!, mode: parts[1]! };
  }
  let [source, target, mode = ''] = parts as [string, string, string?];
  if (source === '') throw new FlagError(`invalid spec: ${spec}: empty section between colons`);
  if (target === '') throw new FlagError(`invalid spec: ${spec}: empty section between colons`);
  const isPath = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
  if (isPath && !source.startsWith('/')) source = cwd.replace(/\/$/, '') + '/' + source.replace(/^\.\/?/, '');
  return { kind: isPath ? 'bind' : 'volume', source: source.replace(/\/$/, '') || '/', target, mode };
}

/** Splits a CSV line like Go's encoding/csv (double quotes group commas). */
export function splitCsv(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (q) {
      if (ch === '"' && s[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

function parseBool(v: string | undefined, key: string, flag: string, raw: string): boolean {
  if (v === undefined) return true;
  const t = v.toLowerCase();
  if (['1', 't', 'true'].includes(t)) return true;
  if (['0', 'f', 'false'].includes(t)) return false;
  throw invalidArg(raw, flag, `invalid value for ${key}: ${v}`);
}

/** `--mount type=bind,src=/a,dst=/b,readonly` → a HostConfig.Mounts entry. */
export function parseMountSpec(raw: string, parseBytes: (s: string) => number): MountSpec {
  const flag = '--mount';
  const m: MountSpec = { Type: 'volume', Target: '' };
  const fields = splitCsv(raw);
  const typeField = fields.find((f) => f.split('=')[0]!.trim().toLowerCase() === 'type');
  if (typeField) m.Type = typeField.split('=')[1] ?? '';
  if (!['bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image'].includes(m.Type)) throw invalidArg(raw, flag, `invalid mount type: ${JSON.stringify(m.Type)}`);
  const bind = () => (m.BindOptions ??= {});
  const vol = () => (m.VolumeOptions ??= {});
  const tmp = () => (m.TmpfsOptions ??= {});
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    if (val === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-mountpoint'].includes(key)) {
      throw invalidArg(raw, flag, `invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type': break;
      case 'source': case 'src': m.Source = val; break;
      case 'target': case 'dst': case 'destination': m.Target = val!; break;
      case 'readonly': case 'ro': m.ReadOnly = parseBool(val, key, flag, raw); break;
      case 'consistency': m.Consistency = val; break;
      case 'bind-propagation': bind().Propagation = val!.toLowerCase(); break;
      case 'bind-nonrecursive': bind().NonRecursive = parseBool(val, key, flag, raw); break;
      case 'bind-create-mountpoint': bind().CreateMountpoint = parseBool(val, key, flag, raw); break;
      case 'volume-nocopy': vol().NoCopy = parseBool(val, key, flag, raw); break;
      case 'volume-subpath': vol().Subpath = val; break;
      case 'volume-driver': (vol().DriverConfig ??= {}).Name = val; break;
      case 'volume-label': case 'volume-opt': {
        const i = val!.indexOf('=');
        if (i < 0) throw invalidArg(raw, flag, `invalid ${key} '${val}': must be key=value`);
        if (key === 'volume-label') (vol().Labels ??= {})[val!.slice(0, i)] = val!.slice(i + 1);
        else ((vol().DriverConfig ??= {}).Options ??= {})[val!.slice(0, i)] = val!.slice(i + 1);
        break;
      }
      case 'tmpfs-size': try { tmp().SizeBytes = parseBytes(val!); } catch { throw invalidArg(raw, flag, `invalid value for ${key}: ${val}`); } break;
      case 'tmpfs-mode': {
        const n = parseInt(val!, 8);
        if (Number.isNaN(n)) throw invalidArg(raw, flag, `invalid value for ${key}: ${val}`);
        tmp().Mode = n;
        break;
      }
      default: throw invalidArg(raw, flag, `unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw invalidArg(raw, flag, 'target is required');
  if (m.BindOptions && m.Type !== 'bind') throw invalidArg(raw, flag, `cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.VolumeOptions && m.Type !== 'volume') throw invalidArg(raw, flag, `cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') throw invalidArg(raw, flag, `cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** `--ulimit nofile=1024:2048` (one number sets both). */
export function parseUlimit(raw: string): Ulimit {
  const flag = '--ulimit';
  const eq = raw.indexOf('=');
  if (eq < 0) throw invalidArg(raw, flag, `invalid ulimit argument: ${raw}`);
  const name = raw.slice(0, eq);
  if (!ULIMITS.has(name)) throw invalidArg(raw, flag, `invalid ulimit type: ${name}`);
  const parts = raw.slice(eq + 1).split(':');
  if (parts.length > 2) throw invalidArg(raw, flag, `too many limit value arguments - ${raw.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const nums = parts.map((p) => {
    if (!/^-?\d+$/.test(p)) throw invalidArg(raw, flag, `strconv.ParseInt: parsing "${p}": invalid syntax`);
    return Number(p);
  });
  const soft = nums[0]!;
  const hard = nums[1] ?? soft;
  if (soft > hard) throw invalidArg(raw, flag, `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** `--restart no|always|unless-stopped|on-failure[:N]`. */
export function parseRestart(raw: string): RestartPolicy {
  if (raw === '') return { Name: 'no', MaximumRetryCount: 0 };
  const i = raw.indexOf(':');
  const name = i < 0 ? raw : raw.slice(0, i);
  const count = i < 0 ? '' : raw.slice(i + 1);
  if (i >= 0 && name === '') throw new FlagError('invalid restart policy format: no policy provided before colon');
  let n = 0;
  if (count !== '') {
    if (!/^-?\d+$/.test(count)) throw new FlagError('invalid restart policy format: maximum retry count must be an integer');
    n = Number(count);
  }
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw new FlagError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  if (n !== 0 && name !== 'on-failure') throw new FlagError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (n < 0) throw new FlagError('invalid restart policy: maximum retry count cannot be negative');
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: n };
}

/** `--gpus all`, `--gpus 2`, `--gpus '"device=0,1",capabilities=compute'`. */
export function parseGpus(raw: string): DeviceRequest {
  const flag = '--gpus';
  const options: Record<string, string> = {};
  const req: DeviceRequest = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: [], Options: options };
  let caps: string[] = [];
  let seenCount = false;
  for (const field of splitCsv(raw)) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? '' : field.slice(0, eq);
    const val = eq < 0 ? field : field.slice(eq + 1);
    if (eq < 0 || key === 'count') {
      if (val === 'all') req.Count = -1;
      else if (/^\d+$/.test(val)) req.Count = Number(val);
      else throw invalidArg(raw, flag, eq < 0 ? `unexpected key '${val}' in '${raw}'` : `invalid count (${val}): value must be either "all" or an integer`);
      seenCount = true;
    } else if (key === 'device') req.DeviceIDs = val.split(',');
    else if (key === 'capabilities') caps = val.split(',');
    else if (key === 'driver') req.Driver = val;
    else if (key === 'options') {
      for (const kv of val.split(',')) { const i = kv.indexOf('='); options[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1); }
    } else throw invalidArg(raw, flag, `unexpected key '${key}' in '${field}'`);
  }
  if (seenCount && req.DeviceIDs) throw invalidArg(raw, flag, 'cannot set both Count and DeviceIDs on device request');
  if (!caps.includes('gpu')) caps.push('gpu');
  req.Capabilities = [caps];
  return req;
}

/** `--device /dev/sda[:/dev/xvda][:rwm]`. */
export function parseDevice(raw: string): DeviceMapping {
  const parts = raw.split(':');
  const isPerm = (s: string) => /^[rwm]{1,3}$/.test(s);
  let perms = 'rwm';
  let dst = '';
  const src = parts[0]!;
  if (parts.length === 3) { dst = parts[1]!; perms = parts[2]!; } else if (parts.length === 2) { if (isPerm(parts[1]!)) perms = parts[1]!; else dst = parts[1]!; } else if (parts.length > 3) throw invalidArg(raw, '--device', `bad format for path: ${raw}`);
  if (!isPerm(perms)) throw invalidArg(raw, '--device', `bad mode specified: ${perms}`);
  if (!src.startsWith('/')) throw invalidArg(raw, '--device', `bad format for path: ${raw}`);
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: perms };
}

/** Lines of an env/label file: `K=V` kept, bare `K` looked up (kept bare when unset). */
export function parseEnvFile(text: string, file: string, lookup: (k: string) => string | undefined = (k) => process.env[k]): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line0) => {
    const line = line0.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (name === '') throw new FlagError(`no variable name on line '${line}'`);
    if (/\s/.test(name)) throw new FlagError(`variable '${name.trimEnd()}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else { const v = lookup(name); out.push(v === undefined ? name : `${name}=${v}`); }
  });
  void file;
  return out;
}

/** `-e K` (no `=`) → `K=value` from the environment, or `K` when unset. */
export function expandEnv(spec: string, lookup: (k: string) => string | undefined = (k) => process.env[k]): string {
  if (spec.includes('=')) {
    if (spec.startsWith('=')) throw invalidArg(spec, '-e, --env', `invalid environment variable: ${spec}`);
    return spec;
  }
  const v = lookup(spec);
  return v === undefined ? spec : `${spec}=${v}`;
}

/** Go's time.ParseDuration ("1m30s", "500ms") → nanoseconds (docker-time.ts), as a FlagError. */
export function parseDuration(s: string): number {
  try {
    return parseGoDuration(s);
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
}

/** `KEY=VALUE` list → map (`KEY` alone → empty value). */
export function toMap(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) { const i = s.indexOf('='); out[i < 0 ? s : s.slice(0, i)] = i < 0 ? '' : s.slice(i + 1); }
  return out;
}
