/** What `docker inspect` and `docker ps` see of a container (docker's JSON shapes). */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors.ts';
import type { ContainerRecord, MountPointRecord } from './record.ts';
import { commandLine, stateStatus, type ContainerRegistry } from './service.ts';
import { linkNamesOf, linksView } from './links.ts';
import { NotFoundError } from '../../common/errors.ts';
import { labelsMatch } from '../../api/types/labels.ts';

function mountsView(mounts: MountPointRecord[]) {
  return mounts.map((m) => ({
    Type: m.Type, ...(m.Type === 'volume' ? { Name: m.Name } : {}), Source: m.Source, Destination: m.Destination,
    ...(m.Type === 'volume' ? { Driver: m.Driver ?? 'local' } : {}), Mode: m.Mode, RW: m.RW, Propagation: m.Propagation,
  }));
}

function networksView(rec: ContainerRecord) {
  const out: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(rec.Endpoints)) {
    out[name] = {
      IPAMConfig: ep.IPAMConfig ?? null, Links: ep.Links ?? null, Aliases: ep.Aliases, MacAddress: ep.MacAddress, DriverOpts: ep.DriverOpts ?? null,
      NetworkID: ep.NetworkID, EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen,
      IPv6Gateway: ep.IPv6Gateway ?? '', GlobalIPv6Address: ep.GlobalIPv6Address ?? '', GlobalIPv6PrefixLen: ep.GlobalIPv6PrefixLen ?? 0, DNSNames: ep.DNSNames ?? null,
    };
  }
  if (Object.keys(out).length === 0 && ['none', 'host'].includes(rec.HostConfig.NetworkMode)) {
    out[rec.HostConfig.NetworkMode] = { IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null };
  }
  return out;
}

/** Bytes written by the container (its snapshot's upper layer) and with the image: ps -s / inspect -s. */
export function containerSizes(reg: ContainerRegistry, rec: ContainerRecord): { SizeRw: number; SizeRootFs: number } {
  const paths = safe(() => reg.deps.snapshots.snapshotPaths(rec.Id)) ?? {};
  // The root is mounted by the runtime from the snapshot's Mount[], at the runtime's place.
  if (paths.MergedDir !== undefined) paths.MergedDir = reg.deps.runtime.rootfsPath(rec.Id);
  const upper = paths.UpperDir ?? paths.Dir ?? '';
  const rw = upper ? dirSize(upper) : 0;
  let image = 0;
  try { image = (reg.deps.images.resolve(rec.Image) as { size?: number }).size ?? 0; } catch (err) { if (!(err instanceof NotFoundError)) throw err; /* image gone */ }
  return { SizeRw: rw, SizeRootFs: image + rw };
}

/** moby's directory.Size: every non-directory's lstat size (symlinks too), hard links once. */
function dirSize(dir: string): number {
  let total = 0;
  const seen = new Set<number>();
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { continue; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { stack.push(p); continue; }
      let st: fs.Stats;
      try { st = fs.lstatSync(p); } catch { continue; /* raced */ }
      if (st.size === 0 || seen.has(st.ino)) continue;
      seen.add(st.ino);
      total += st.size;
    }
  }
  return total;
}

/** The list's sizes are omitted when zero (Go's omitempty on types.Container), as docker shows them. */
function listSizes(s: { SizeRw: number; SizeRootFs: number }): Partial<{ SizeRw: number; SizeRootFs: number }> {
  return { ...(s.SizeRw ? { SizeRw: s.SizeRw } : {}), ...(s.SizeRootFs ? { SizeRootFs: s.SizeRootFs } : {}) };
}

export function inspectContainer(reg: ContainerRegistry, ref: string, size = false): Record<string, unknown> {
  const rec = reg.get(ref).rec;
  const bridge = rec.Endpoints.bridge;
  const paths = safe(() => reg.deps.snapshots.snapshotPaths(rec.Id)) ?? {};
  // The root is mounted by the runtime from the snapshot's Mount[], at the runtime's place.
  if (paths.MergedDir !== undefined) paths.MergedDir = reg.deps.runtime.rootfsPath(rec.Id);
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: rec.State,
    Image: rec.Image,
    ResolvConfPath: `${reg.containerDir(rec.Id)}/resolv.conf`,
    HostnamePath: `${reg.containerDir(rec.Id)}/hostname`,
    HostsPath: `${reg.containerDir(rec.Id)}/hosts`,
    LogPath: rec.LogPath,
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: rec.Driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: { ...rec.HostConfig, ConsoleSize: rec.HostConfig.ConsoleSize ?? [0, 0], Links: linksView(reg, rec) },
    GraphDriver: { Name: rec.Driver, Data: paths },
    ...(size ? containerSizes(reg, rec) : {}),
    Mounts: mountsView(rec.MountPoints),
    Config: rec.Config,
    NetworkSettings: {
      Bridge: '', SandboxID: rec.SandboxKey ? rec.Id : '', SandboxKey: rec.SandboxKey, HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: rec.Ports, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
      EndpointID: bridge?.EndpointID ?? '', Gateway: bridge?.Gateway ?? '', GlobalIPv6Address: bridge?.GlobalIPv6Address ?? '', GlobalIPv6PrefixLen: bridge?.GlobalIPv6PrefixLen ?? 0,
      IPAddress: bridge?.IPAddress ?? '', IPPrefixLen: bridge?.IPPrefixLen ?? 0, IPv6Gateway: bridge?.IPv6Gateway ?? '', MacAddress: bridge?.MacAddress ?? '',
      Networks: networksView(rec),
    },
  };
}

function safe<T>(fn: () => T): T | undefined {
  try { return fn(); } catch { return undefined; }
}

function portsSummary(rec: ContainerRecord) {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const [key, binds] of Object.entries(rec.Ports)) {
    const [port, proto] = key.split('/') as [string, string];
    if (!binds || binds.length === 0) { out.push({ PrivatePort: Number(port), Type: proto }); continue; }
    for (const b of binds) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
  }
  return out;
}

const FILTERS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListOptions { all: boolean; limit?: number; size: boolean; filters: Record<string, string[]>; imageMatches?: (ref: string, rec: ContainerRecord) => boolean }

export function listContainers(reg: ContainerRegistry, o: ListOptions): Record<string, unknown>[] {
  for (const k of Object.keys(o.filters)) if (!FILTERS.includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  for (const s of o.filters.status ?? []) if (!STATUSES.includes(s)) throw new InvalidArgumentError(`invalid filter 'status=${s}'`);
  for (const h of o.filters.health ?? []) if (!HEALTH.includes(h)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${h}`);
  // moby's strconv.Atoi text (docker 20.10 answers it with 500; a client's mistake is 400 here).
  for (const x of o.filters.exited ?? []) if (!/^[+-]?\d+$/.test(x)) throw new InvalidArgumentError(`strconv.Atoi: parsing ${JSON.stringify(x)}: invalid syntax`);
  const f = o.filters;
  let recs = [...reg.live.values()].map((l) => l.rec).sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
  const all = o.all || (o.limit !== undefined && o.limit > 0) || !!f.status?.length || !!f.exited?.length;
  // An unknown reference is the client's mistake (docker 20.10: 500 "no such container x").
  const byRef = (r: string) => reg.get(r).rec;
  if (f.before?.length) { const b = byRef(f.before[0]!); recs = recs.filter((r) => r.Created < b.Created); }
  if (f.since?.length) { const s = byRef(f.since[0]!); recs = recs.filter((r) => r.Created > s.Created); }
  recs = recs.filter((r) => {
    const status = r.State.Paused ? 'paused' : r.State.Status;
    if (!all && !r.State.Running) return false;
    if (f.status?.length && !f.status.includes(status)) return false;
    if (f.id?.length && !f.id.some((x) => r.Id.startsWith(x))) return false;
    if (f.name?.length && !f.name.some((x) => regexMatches(x, r.Name.slice(1)) || r.Name === x)) return false;
    if (f.health?.length && !f.health.includes(r.State.Health?.Status ?? 'none')) return false;
    if (f.exited?.length && (r.State.Status !== 'exited' || !f.exited.includes(String(r.State.ExitCode)))) return false;
    if (!labelsMatch(f.label, r.Config.Labels)) return false;
    if (f.ancestor?.length && !f.ancestor.some((a) => r.Config.Image === a || r.Image === a || r.Image.startsWith(`sha256:${a}`) || (o.imageMatches?.(a, r) ?? false))) return false;
    if (f.volume?.length && !f.volume.some((v) => r.MountPoints.some((m) => m.Name === v || m.Destination === v || m.Source === v))) return false;
    if (f.network?.length && !f.network.some((n) => n in r.Endpoints || Object.values(r.Endpoints).some((e) => e.NetworkID.startsWith(n)))) return false;
    if (f.publish?.length && !f.publish.some((p) => Object.entries(r.Ports).some(([k, b]) => (b ?? []).some((x) => x.HostPort === p.split('/')[0]) || k === p))) return false;
    if (f.expose?.length && !f.expose.some((p) => Object.keys(r.Config.ExposedPorts ?? {}).some((k) => k === p || k === `${p}/tcp`))) return false;
    return true;
  });
  if (o.limit !== undefined && o.limit > 0) recs = recs.slice(0, o.limit);
  return recs.map((r) => ({
    Id: r.Id,
    Names: [r.Name, ...linkNamesOf(reg, r.Id)],
    Image: r.Config.Image,
    ImageID: r.Image,
    Command: commandLine(r),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: portsSummary(r),
    ...(o.size ? listSizes(containerSizes(reg, r)) : {}),
    Labels: r.Config.Labels,
    State: r.State.Paused ? 'paused' : r.State.Status,
    Status: stateStatus(r),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode },
    NetworkSettings: { Networks: networksView(r) },
    Mounts: mountsView(r.MountPoints),
  }));
}

/** moby's filters.Match: a pattern that is no valid regular expression matches nothing (no error). */
function regexMatches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false;
  }
}
