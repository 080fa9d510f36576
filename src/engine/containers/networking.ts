/**
 * A container's network at start and stop: host / none / container:X / driver networks
 * (the sandbox provider's netns, each network joined through the driver that owns it),
 * published ports, and the /etc/{hosts,hostname,resolv.conf} files the container gets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ForbiddenError, InvalidArgumentError, NotFoundError, SystemError } from '../../common/errors.ts';
import { isGone } from '../../common/cleanups.ts';
import type { FileOptions, NetworkInfo, PortBinding as DriverPortBinding, PortRequest, SandboxProvider } from '../../drivers/network/contract.ts';
import type { ContainerRecord, EndpointRecord, EndpointRequest, PortBinding } from './record.ts';
import type { ContainerRegistry, Live } from './service.ts';
import { allNetworks, driverOf, findNetwork } from './network-drivers.ts';
import { linkHosts, parentsOf } from './links.ts';
import { onlyErrno } from '../../common/cleanups.ts';
import { renderHostname, renderHosts, renderResolvConf } from '../../common/etc-files.ts';

export type NetMode = 'none' | 'host' | { path: string };

function writeAtomic(file: string, text: string): void {
  fs.writeFileSync(file + '.tmp', text);
  fs.renameSync(file + '.tmp', file);
}

/** writeAtomic off the event loop (a start under load writes three of these). */
async function writeAtomicAsync(file: string, text: string): Promise<void> {
  await fs.promises.writeFile(file + '.tmp', text);
  await fs.promises.rename(file + '.tmp', file);
}

/** Files for host/none/container: modes (no driver involved). */
export async function writeStandaloneFiles(dir: string, rec: ContainerRecord): Promise<void> {
  const host = rec.HostConfig.NetworkMode === 'host';
  const hostname = host ? os.hostname() : rec.Config.Hostname;
  let base: string | undefined;
  if (host) { try { base = fs.readFileSync('/etc/hosts', 'utf8'); } catch (err) { onlyErrno(err, 'ENOENT'); /* keep default */ } }
  const hosts = renderHosts({ base, hostname, ip: host ? undefined : '127.0.1.1', extraHosts: rec.HostConfig.ExtraHosts ?? [] });
  let hostResolv = '';
  try { hostResolv = fs.readFileSync('/etc/resolv.conf', 'utf8'); } catch (err) { onlyErrno(err, 'ENOENT'); /* none */ }
  const hc = rec.HostConfig;
  const resolv = renderResolvConf({ host: hostResolv, embeddedDns: false, hostNetwork: host, dns: hc.Dns, dnsSearch: hc.DnsSearch, dnsOptions: hc.DnsOptions ?? undefined });
  await Promise.all([
    writeAtomicAsync(path.join(dir, 'hostname'), renderHostname(hostname)),
    writeAtomicAsync(path.join(dir, 'hosts'), hosts),
    writeAtomicAsync(path.join(dir, 'resolv.conf'), resolv),
  ]);
}

function requests(rec: ContainerRecord): Record<string, EndpointRequest> {
  return (rec.NetworkingRequest ??= {});
}

/**
 * The networks a container joins at start: the NetworkMode network, then the ones asked for
 * at create or with `network connect`, minus those left with `network disconnect`. Deduplicated
 * by network id (fix: `--network <id>` plus an EndpointsConfig keyed by the name connected the
 * same network twice, and the second connect failed the start).
 */
/**
 * The networks a container joins at start, in order. With every one of them disconnected, the
 * first (its NetworkMode) stands in unless `fallback` is false (membership checks).
 */
function networkNames(rec: ContainerRecord, resolve: (n: string) => string | undefined, fallback = true): string[] {
  const mode = rec.HostConfig.NetworkMode;
  const first = mode === 'default' ? 'bridge' : mode;
  const detached = new Set(rec.NetworkDetached ?? []);
  // The docker CLI keys the NetworkMode's EndpointsConfig by the mode itself: `default` = bridge.
  const all = [first, ...Object.keys(requests(rec))].map((n) => (n === 'default' ? 'bridge' : n));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of all) {
    const key = resolve(n) ?? n;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(n);
  }
  const kept = out.filter((n) => !detached.has(resolve(n) ?? n));
  return kept.length || !fallback ? kept : out.slice(0, 1);
}

/** An endpoint entry before (or after) the network gave anything: the request as given. */
function requestedEndpoint(r: EndpointRequest, networkId = ''): EndpointRecord {
  return {
    NetworkID: networkId, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '',
    Aliases: r.Aliases?.length ? [...r.Aliases] : null, IPAMConfig: r.IPAMConfig ?? null, Links: r.Links?.length ? [...r.Links] : null, DriverOpts: r.DriverOpts ?? null,
  };
}

/**
 * NetworkSettings.Networks of a created container (docker's updateContainerNetworkSettings):
 * the EndpointsConfig entries as given, else the NetworkMode network (`default` = bridge, a
 * user network by its name). container:X mode has none.
 */
export function plannedEndpoints(rec: ContainerRecord, lookup: (ref: string) => NetworkInfo | undefined): Record<string, EndpointRecord> {
  const mode = rec.HostConfig.NetworkMode;
  if (mode.startsWith('container:')) return {};
  const req = requests(rec);
  const out: Record<string, EndpointRecord> = {};
  for (const [name, r] of Object.entries(req)) out[name === 'default' ? 'bridge' : name] = requestedEndpoint(r);
  if (Object.keys(out).length) return out;
  const name = mode === 'default' ? 'bridge' : mode === 'host' || mode === 'none' ? mode : lookup(mode)?.name ?? mode;
  return { [name]: requestedEndpoint({}) };
}

/** `name:alias` links of a user network → alias → container name (leading slashes dropped). */
function linkMap(links: string[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of links ?? []) {
    const [name, alias] = l.split(':').map((x) => x.replace(/^\/+/, '')) as [string, string?];
    if (!name) throw new InvalidArgumentError(`invalid link: ${l}`);
    out[alias || name] = name;
  }
  return out;
}

/** Ports to publish: PortBindings, plus every exposed port with -P. */
/** A port to publish; `hostPortEnd`: `-p 8000-8010:80` = the first free port of the range. */
export type PortWish = PortRequest & { hostPortEnd?: number };

export function portRequests(rec: ContainerRecord): PortWish[] {
  const out: PortWish[] = [];
  const seen = new Set<string>();
  for (const [key, binds] of Object.entries(rec.HostConfig.PortBindings ?? {})) {
    const [port, proto = 'tcp'] = key.split('/') as [string, string?];
    for (const b of binds ?? [{ HostIp: '', HostPort: '' }]) {
      const [lo, hi] = port.split('-').map(Number) as [number, number?];
      const [hlo, hhi] = (b.HostPort || '0').split('-').map(Number) as [number, number?];
      for (let p = lo, i = 0; p <= (hi ?? lo); p++, i++) {
        // range:range maps one to one; a host range for one container port is a pool to pick from
        const pool = hhi !== undefined && hi === undefined && hhi > hlo;
        const hostPort = hhi !== undefined && hi !== undefined ? hlo + i : hlo;
        out.push({ hostIp: b.HostIp ?? '', hostPort, containerPort: p, proto: proto === 'udp' ? 'udp' : 'tcp', ...(pool ? { hostPortEnd: hhi } : {}) });
        seen.add(`${p}/${proto}`);
      }
    }
  }
  if (rec.HostConfig.PublishAllPorts) {
    for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) {
      const [port, proto = 'tcp'] = key.split('/') as [string, string?];
      if (seen.has(`${port}/${proto}`)) continue;
      out.push({ hostIp: '', hostPort: 0, containerPort: Number(port), proto: proto === 'udp' ? 'udp' : 'tcp' });
    }
  }
  return out;
}

export async function connectNetworks(reg: ContainerRegistry, l: Live): Promise<{ mode: NetMode; files: boolean }> {
  const rec = l.rec;
  const mode = rec.HostConfig.NetworkMode;
  rec.Endpoints = {};
  rec.Ports = {};
  if (mode === 'none') return { mode: 'none', files: false };
  if (mode === 'host') return { mode: 'host', files: false };
  if (mode.startsWith('container:')) {
    const other = reg.find(mode.slice(10));
    if (!other) throw new NotFoundError(`No such container: ${mode.slice(10)}`);
    if (!other.rec.State.Running || !other.rec.State.Pid) throw new InvalidArgumentError(`cannot join network of a non running container: ${other.rec.Id}`);
    const dir = reg.containerDir(rec.Id);
    for (const f of ['hosts', 'resolv.conf']) fs.copyFileSync(path.join(reg.containerDir(other.rec.Id), f), path.join(dir, f));
    writeAtomic(path.join(dir, 'hostname'), other.rec.Config.Hostname + '\n');
    return { mode: { path: other.rec.SandboxKey || `/proc/${other.rec.State.Pid}/ns/net` }, files: true };
  }
  const net = reg.deps.sandboxes;
  if (!net) {
    // No sandbox provider (e.g. iptables unavailable): behave like --network none.
    return { mode: 'none', files: false };
  }
  const lookup = (n: string) => findNetwork(reg.deps.networks, n);
  const names = networkNames(rec, (n) => lookup(n)?.id);
  for (const n of names) {
    if (!lookup(n)) throw new NotFoundError(`network ${n} not found`);
    const same = allNetworks(reg.deps.networks).filter((x) => x.name === n);
    if (same.length > 1 && !same.some((x) => x.id === n)) throw new InvalidArgumentError(`network ${n} is ambiguous (${same.length} matches found on name)`);
  }
  const { nsPath } = await plumbing(reg, () => net.createSandbox(rec.Id));
  rec.SandboxKey = nsPath;
  const req = requests(rec);
  const joined: NetworkInfo[] = [];
  try {
    for (const n of names) {
      const info = lookup(n)!;
      const r = req[n] ?? req[info.name] ?? req[info.id] ?? (info.isDefault ? req.default : undefined) ?? {};
      // The MAC of `--mac-address` belongs to the first network only (two NICs cannot share it).
      await plumbing(reg, () => joinNetwork(reg, rec, info, r, joined.length === 0 ? rec.Config.MacAddress : undefined));
      joined.push(info);
    }
    const ports = portRequests(rec);
    for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) rec.Ports[key] = null;
    if (ports.length) {
      const bound = await publishPorts(net, rec.Id, ports);
      for (const b of bound) {
        const key = `${b.containerPort}/${b.proto}`;
        const entry: PortBinding = { HostIp: b.hostIp || '0.0.0.0', HostPort: String(b.hostPort) };
        (rec.Ports[key] ??= []).push(entry);
      }
    }
    const files = net.renderFiles(rec.Id, fileOptions(reg, rec));
    const dir = reg.containerDir(rec.Id);
    writeAtomic(path.join(dir, 'hosts'), files.hosts);
    writeAtomic(path.join(dir, 'hostname'), files.hostname);
    writeAtomic(path.join(dir, 'resolv.conf'), files.resolvConf);
  } catch (err) {
    // The start's own error is what the client gets; a sandbox left behind is retried later.
    await leaveOtherDrivers(reg, rec.Id, joined.map((i) => i.id));
    await reg.cleanups.attempt('sandbox-destroy', rec.Id, () => net.destroySandbox(rec.Id), isGone);
    rec.SandboxKey = '';
    rec.Endpoints = {};
    rec.Ports = {};
    throw err;
  }
  for (const info of joined) networkEvent(reg, 'connect', info, rec.Id);
  refreshLinkParents(reg, rec.Id);
  return { mode: { path: nsPath }, files: true };
}

/** Fixed ports in one all-or-nothing call, then each host-port range: its first free port. */
async function publishPorts(net: SandboxProvider, id: string, ports: PortWish[]): Promise<DriverPortBinding[]> {
  const strip = ({ hostPortEnd: _e, ...p }: PortWish): PortRequest => p;
  const fixed = ports.filter((p) => p.hostPortEnd === undefined).map(strip);
  const bound = fixed.length ? await net.publish(id, fixed) : [];
  for (const p of ports.filter((x) => x.hostPortEnd !== undefined)) {
    let lastErr: unknown;
    for (let hp = p.hostPort; hp <= p.hostPortEnd!; hp++) {
      try {
        bound.push(...await net.publish(id, [{ ...strip(p), hostPort: hp }]));
        lastErr = undefined;
        break;
      } catch (err) {
        lastErr = err;
      }
    }
    if (lastErr) throw lastErr;
  }
  return bound;
}

/** `leaving`: a network the container is being disconnected from (its endpoint is still recorded). */
function fileOptions(reg: ContainerRegistry, rec: ContainerRecord, leaving?: string): FileOptions {
  const hc = rec.HostConfig;
  // for /etc/hosts when the sandbox provider has no endpoint of its own: another driver's address
  const ip = Object.values(rec.Endpoints).find((e) => e.IPAddress && e.NetworkID !== leaving && !ownNetwork(reg, e.NetworkID))?.IPAddress;
  return { ip, hostname: rec.Config.Hostname, domainname: rec.Config.Domainname, dns: hc.Dns.length ? hc.Dns : reg.deps.dns, dnsSearch: hc.DnsSearch.length ? hc.DnsSearch : reg.deps.dnsSearch, dnsOptions: hc.DnsOptions, extraHosts: [...(hc.ExtraHosts ?? []), ...linkHosts(reg, rec)] };
}

/** docker's network connect/disconnect event (Actor = the network). */
function networkEvent(reg: ContainerRegistry, action: 'connect' | 'disconnect', info: NetworkInfo, containerId: string): void {
  reg.deps.events.publish('network', action, info.id, { container: containerId, name: info.name, type: info.driver });
}

/**
 * Runs sandbox creation and endpoint creation one at a time per daemon. Works around a race in
 * the bridge driver: its veth is created inside the container netns with the host end sent to
 * `/proc/<daemon pid>/ns/net`, i.e. the namespace of the daemon's main thread *when `ip` opens
 * that path*; a concurrent createSandbox briefly unshares the main thread into the new
 * container's namespace, so under parallel starts a host veth could land in another container
 * (seen as `SIOCGIFINDEX vethXXXX: errno 19`). Serialising the two costs a few ms per start.
 */
const plumbingQueues = new WeakMap<ContainerRegistry, Promise<unknown>>();
function plumbing<T>(reg: ContainerRegistry, fn: () => Promise<T>): Promise<T> {
  const prev = plumbingQueues.get(reg) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  // The caller gets fn's failure through `next`; the queue only orders the next one.
  plumbingQueues.set(reg, next.then(() => undefined, () => undefined));
  return next;
}

/**
 * Connects the running sandbox of `rec` to one network and records the endpoint. On user
 * networks the short id joins the aliases (docker does, and compose relies on it); the DNS
 * answers for the name, the aliases and the short id.
 */
async function joinNetwork(reg: ContainerRegistry, rec: ContainerRecord, info: NetworkInfo, r: EndpointRequest, mac?: string): Promise<void> {
  const shortId = rec.Id.slice(0, 12);
  const asked = (r.Aliases ?? []).filter(Boolean);
  const aliases = info.isDefault ? null : asked.includes(shortId) ? asked : [...asked, shortId];
  const dnsNames = info.isDefault ? [] : [rec.Name.slice(1), ...aliases!.filter((a) => a !== rec.Name.slice(1))];
  const ipam = r.IPAMConfig ?? undefined;
  if (ipam?.IPv4Address && info.autoSubnet && !info.isDefault) {
    throw new InvalidArgumentError('user specified IP address is supported only when connecting to networks with user configured subnets');
  }
  const ep = await driverOf(reg.deps.networks, info).connect(rec.Id, info.id, {
    nsPath: rec.SandboxKey, ip: ipam?.IPv4Address || undefined, ip6: ipam?.IPv6Address || undefined, linkLocalIps: ipam?.LinkLocalIPs?.filter(Boolean),
    mac: r.MacAddress || mac || undefined, aliases: dnsNames, links: info.isDefault ? undefined : linkMap(r.Links),
  });
  rec.Endpoints[info.name] = {
    ...requestedEndpoint(r, info.id), EndpointID: ep.endpointId, Gateway: ep.gateway, IPAddress: ep.ip, IPPrefixLen: ep.prefixLen,
    MacAddress: ep.mac, Aliases: aliases, DNSNames: info.isDefault ? null : dnsNames,
    IPv6Gateway: ep.gateway6 ?? '', GlobalIPv6Address: ep.ip6 ?? '', GlobalIPv6PrefixLen: ep.prefixLen6 ?? 0,
  };
}

/** The network belongs to the sandbox provider (its endpoints go with the sandbox). */
function ownNetwork(reg: ContainerRegistry, networkId: string): boolean {
  const info = findNetwork(reg.deps.networks, networkId);
  return !!info && (reg.deps.networks?.find(info.driver) as object | undefined) === reg.deps.sandboxes;
}

/**
 * Endpoints on networks of drivers other than the sandbox provider leave before the sandbox
 * goes (its destroySandbox releases only its own). Best effort: a driver's cleanupOrphans
 * at the next daemon start takes what is left.
 */
async function leaveOtherDrivers(reg: ContainerRegistry, id: string, networkIds: string[]): Promise<void> {
  for (const nid of networkIds) {
    const info = findNetwork(reg.deps.networks, nid);
    const driver = info && reg.deps.networks?.find(info.driver);
    if (!info || !driver || ownNetwork(reg, nid)) continue;
    await driver.disconnect(id, info.id).catch((err: Error) => {
      if (!(err instanceof NotFoundError) && !isGone(err)) reg.deps.logger.warn(`network ${info.name}: disconnecting ${id}: ${err.message}`);
    });
  }
}

export async function disconnectAll(reg: ContainerRegistry, l: Live): Promise<void> {
  const rec = l.rec;
  const net = reg.deps.sandboxes;
  if (net && rec.SandboxKey) {
    await leaveOtherDrivers(reg, rec.Id, Object.values(rec.Endpoints).filter((e) => e.IPAddress).map((e) => e.NetworkID));
    await net.destroySandbox(rec.Id);
    for (const ep of Object.values(rec.Endpoints)) {
      const info = ep.IPAddress ? findNetwork(reg.deps.networks, ep.NetworkID) : undefined;
      if (info) networkEvent(reg, 'disconnect', info, rec.Id);
    }
  }
  rec.SandboxKey = '';
  for (const ep of Object.values(rec.Endpoints)) {
    ep.IPAddress = ''; ep.Gateway = ''; ep.IPPrefixLen = 0; ep.MacAddress = ''; ep.EndpointID = '';
    ep.IPv6Gateway = ''; ep.GlobalIPv6Address = ''; ep.GlobalIPv6PrefixLen = 0;
  }
  rec.Ports = {};
}

// ---- `docker network connect/disconnect` ---------------------------------------------------

/** `network connect`'s EndpointConfig (aliases, links, IPAM addresses, MAC, driver options). */
export type AttachRequest = EndpointRequest;

function running(rec: ContainerRecord): boolean {
  return rec.State.Running && !rec.State.Restarting && !!rec.SandboxKey;
}

function sharedNamespaceCheck(rec: ContainerRecord): void {
  const mode = rec.HostConfig.NetworkMode;
  if (mode === 'host' || mode.startsWith('container:')) throw new InvalidArgumentError('container sharing network namespace with another container or host cannot be connected to any other network');
  if (mode === 'none') throw new InvalidArgumentError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
}

/** Rewrites /etc/hosts and resolv.conf of a running container in place (they are bind mounts). */
function refreshFiles(reg: ContainerRegistry, rec: ContainerRecord, leaving?: string): void {
  const files = reg.deps.sandboxes!.renderFiles(rec.Id, fileOptions(reg, rec, leaving));
  const dir = reg.containerDir(rec.Id);
  fs.writeFileSync(path.join(dir, 'hosts'), files.hosts);
  fs.writeFileSync(path.join(dir, 'resolv.conf'), files.resolvConf);
}

/**
 * Rewrites /etc/hosts of the running containers that link to `childId` (legacy links): the
 * child got a new address, or a link changed. Best effort, as moby's parent update.
 */
export function refreshLinkParents(reg: ContainerRegistry, childId: string, parents = parentsOf(reg, childId)): void {
  if (!reg.deps.sandboxes) return;
  for (const p of parents) {
    if (!running(p.rec)) continue;
    try { refreshFiles(reg, p.rec); } catch (err) { reg.deps.logger.warn(`updating /etc/hosts of ${p.rec.Id}: ${(err as Error).message}`); }
  }
}

/**
 * `network connect`: a running container joins at once; a stopped one keeps the request and
 * joins at its next start. Either way the network stays joined across restarts.
 */
export async function connectContainer(reg: ContainerRegistry, ref: string, network: string, o: AttachRequest): Promise<NetworkInfo> {
  const l = reg.get(ref);
  const net = reg.deps.sandboxes;
  const lookup = (n: string) => findNetwork(reg.deps.networks, n);
  const info = lookup(network);
  if (!net || !info) throw new NotFoundError(`network ${network} not found`);
  return reg.serial(l, async () => {
    const rec = l.rec;
    sharedNamespaceCheck(rec);
    if (info.isDefault && (o.IPAMConfig?.IPv4Address || o.IPAMConfig?.IPv6Address)) throw new InvalidArgumentError('user specified IP address is supported on user defined networks only');
    if (info.isDefault && o.Aliases?.length) throw new InvalidArgumentError('network-scoped alias is supported only for containers in user defined networks');
    const joined = running(rec)
      ? Object.values(rec.Endpoints).some((e) => e.NetworkID === info.id && e.IPAddress)
      : networkNames(rec, (n) => lookup(n)?.id, false).some((n) => lookup(n)?.id === info.id);
    if (joined) throw new ForbiddenError(`endpoint with name ${rec.Name.slice(1)} already exists in network ${info.name}`);
    const r: EndpointRequest = o;
    if (running(rec)) {
      await plumbing(reg, () => joinNetwork(reg, rec, info, r));
      refreshFiles(reg, rec);
      networkEvent(reg, 'connect', info, rec.Id);
    } else {
      // As docker records a connect of a stopped container: on user networks the short id is
      // an alias already (compose looks for it to tell a connected container from a new one).
      const ep = requestedEndpoint(r, info.id);
      const shortId = rec.Id.slice(0, 12);
      if (!info.isDefault && !(ep.Aliases ?? []).includes(shortId)) ep.Aliases = [...(ep.Aliases ?? []), shortId];
      rec.Endpoints[info.name] = ep;
    }
    const req = requests(rec);
    for (const k of Object.keys(req)) if (lookup(k)?.id === info.id) delete req[k];
    req[info.name] = r;
    rec.NetworkDetached = (rec.NetworkDetached ?? []).filter((id) => id !== info.id);
    l.save();
    return info;
  });
}

/**
 * `network disconnect`: leaves the network now (running) and for later starts. `force` forgives
 * nothing here: in docker it only reaches endpoints whose container is gone, and a container
 * that is not connected is an error either way (reference dockerd 20.10).
 */
export async function disconnectContainer(reg: ContainerRegistry, ref: string, network: string, _force: boolean): Promise<NetworkInfo> {
  const l = reg.get(ref);
  const net = reg.deps.sandboxes;
  const lookup = (n: string) => findNetwork(reg.deps.networks, n);
  const info = lookup(network);
  if (!net || !info) throw new NotFoundError(`network ${network} not found`);
  return reg.serial(l, async () => {
    const rec = l.rec;
    if (rec.HostConfig.NetworkMode === 'host') throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
    const resolve = (n: string) => lookup(n)?.id;
    const member = running(rec)
      ? Object.values(rec.Endpoints).some((e) => e.NetworkID === info.id && e.IPAddress)
      : networkNames(rec, resolve).some((n) => resolve(n) === info.id) || Object.values(rec.Endpoints).some((e) => e.NetworkID === info.id);
    if (!member) throw new SystemError(`container ${rec.Id} is not connected to ${running(rec) ? '' : 'the '}network ${info.name}`);
    if (running(rec) && member) {
      await driverOf(reg.deps.networks, info).disconnect(rec.Id, info.id);
      refreshFiles(reg, rec, info.id);
      networkEvent(reg, 'disconnect', info, rec.Id);
      // Ports published on that endpoint are gone with it.
      if (!net.getSandbox(rec.Id)?.ports.length) for (const k of Object.keys(rec.Ports)) if (rec.Ports[k]) rec.Ports[k] = null;
    }
    // A stopped container's planned endpoint has no NetworkID yet: match it by its network too.
    for (const [k, e] of Object.entries(rec.Endpoints)) if (e.NetworkID === info.id || resolve(k) === info.id) delete rec.Endpoints[k];
    const req = requests(rec);
    for (const k of Object.keys(req)) if (resolve(k) === info.id || k === info.name) delete req[k];
    if (!(rec.NetworkDetached ?? []).includes(info.id)) rec.NetworkDetached = [...(rec.NetworkDetached ?? []), info.id];
    l.save();
    return info;
  });
}

/** Running containers with an endpoint on network `networkId` (network inspect's Containers). */
export function networkAttachments(reg: ContainerRegistry, networkId: string): { id: string; name: string; endpoint: EndpointRecord }[] {
  const out: { id: string; name: string; endpoint: EndpointRecord }[] = [];
  for (const l of reg.live.values()) {
    if (!l.rec.State.Running) continue;
    for (const ep of Object.values(l.rec.Endpoints)) {
      if (ep.NetworkID === networkId && ep.IPAddress) out.push({ id: l.rec.Id, name: l.rec.Name.slice(1), endpoint: ep });
    }
  }
  return out;
}

/** Containers whose network mode is `mode` ('host'): what `network inspect host` lists. */
export function containersInMode(reg: ContainerRegistry, mode: string): { id: string; name: string }[] {
  return [...reg.live.values()].filter((l) => l.rec.State.Running && l.rec.HostConfig.NetworkMode === mode).map((l) => ({ id: l.rec.Id, name: l.rec.Name.slice(1) }));
}
