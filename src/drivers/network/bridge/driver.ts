/**
 * The bridge network driver: Linux bridges + veth pairs + iptables NAT, spawn-based
 * (`ip -batch`, `iptables-restore --noflush`, `nsenter`, `unshare`), see NETWORK.md.
 *
 * On-disk layout:
 *   <stateDir>/networks/<id>.json, <stateDir>/sandboxes/<container-id>.json   (state.ts)
 *   <execRoot>/netns/<container-id>   nsfs bind mount = the container's network namespace
 * Kernel objects: bridge `<bridgeName>` (default `wharf0`) and `br-<id12>` per user network,
 * host veths `veth<7 hex>`, chains `<chainPrefix>-*` (iptables.ts), sysctls ip_forward=1 and
 * route_localnet=1 on our bridges (guarded by the raw-table drop).
 * Published ports: kernel DNAT for every host address, 127.0.0.1 included; the daemon holds
 * each host port with a bound socket (port-holds.ts), so "in use" is detected by a real bind.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../../../common/errors.ts';
import type { Logger } from '../../../common/logger.ts';
import { BRIDGE_OPTS } from '../contract.ts';
import type {
  ConnectOptions, ContainerFiles, CreateNetworkOptions, Endpoint, FileOptions, NetworkDriver, NetworkInfo,
  PortBinding, PortRequest, SandboxInfo, SandboxProvider,
} from '../contract.ts';
import { renderHostname, renderHosts, renderResolvConf, upstreamServers } from '../../../common/etc-files.ts';
import { EmbeddedDns } from './dns-server.ts';
import { run } from './exec.ts';
import * as ipam from './ipam.ts';
import * as ipam6 from './ipam6.ts';
import { checkLinkLocal, planNetwork } from './network-plan.ts';
import { clientSandbox, lookupName } from './name-lookup.ts';
import { RuleSet, ruleInput, type Rule } from './iptables.ts';
import { bridgePorts, createVeth, deleteLink, ensureBridge, linkExists, removeVeth, replaceDnsRedirect, writeSysctl } from './links.ts';
import { createNetns, deleteNetns, isMounted, listNetns, prepareNetnsDir, releaseNetnsDir } from './netns.ts';
import { nativeAvailable } from './native.ts';
import { holdPort, type PortHold } from './port-holds.ts';
import { info, NetworkTable } from './network-table.ts';
import { StateDir, type NetworkRecord, type SandboxRecord } from './state.ts';

export interface BridgeDriverOptions {
  stateDir: string;
  execRoot: string;
  /** Default bridge device (tests pass their own). */
  bridgeName?: string;
  /** Default bridge address + prefix, docker's `bip`. */
  bip?: string;
  /** Prefix of our iptables chains (tests pass their own). */
  chainPrefix?: string;
  /** Host resolv.conf (upstreams of the embedded DNS, base of containers' resolv.conf). */
  resolvConfPath?: string;
  logger?: Logger;
  /** docker's `ip-forward`: set net.ipv4.ip_forward=1 at init (default); false leaves the host's setting. */
  ipForward?: boolean;
}

/** Both parts of the contract: its networks, and the sandboxes every container's networks join. */
export class BridgeNetworkDriver implements NetworkDriver, SandboxProvider {
  readonly name = 'bridge' as const;
  readonly bridgeName: string;
  readonly netnsDir: string;
  private readonly bip: string;
  private readonly state: StateDir;
  private readonly rules: RuleSet;
  /** ip6tables: isolation of IPv6-enabled bridges (no NAT for IPv6, as docker 20.10). */
  private readonly rules6: RuleSet;
  private readonly resolvConfPath: string;
  private readonly networks: NetworkTable;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly holds = new Map<string, PortHold[]>();
  private readonly dns: EmbeddedDns;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: BridgeDriverOptions) {
    this.bridgeName = opts.bridgeName ?? 'wharf0';
    this.bip = opts.bip ?? '172.18.0.1/16';
    this.netnsDir = path.join(opts.execRoot, 'netns');
    this.state = new StateDir(opts.stateDir, (file, err) => opts.logger?.warn(`network state record ${file} is unreadable, skipped and set aside as .corrupt: ${err.message}`));
    this.networks = new NetworkTable(this.state);
    this.rules = new RuleSet(opts.chainPrefix ?? 'WHARF');
    this.rules6 = new RuleSet(opts.chainPrefix ?? 'WHARF', 6);
    this.resolvConfPath = opts.resolvConfPath ?? '/etc/resolv.conf';
    const nets = { get: (id: string) => this.networks.get(id) };
    this.dns = new EmbeddedDns((ip, name) => lookupName(this.sandboxes.values(), nets, ip, name), upstreamServers(this.hostResolvConf()), 2000,
      (ip) => clientSandbox(this.sandboxes.values(), nets, ip)?.dnsServers);
  }

  /** Runs network-level changes one at a time (rule ensure/remove must not interleave). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    // The caller gets fn's failure through `next`; the lock only orders the next change.
    this.lock = next.then(() => undefined, () => undefined);
    return next;
  }

  init(): Promise<void> {
    return this.serial(async () => {
      nativeAvailable(); // load koffi now, not on the first container start
      if (this.opts.ipForward !== false) writeSysctl('net.ipv4.ip_forward', '1');
      await prepareNetnsDir(this.netnsDir);
      const gw = ipam.ipToInt(this.bip.split('/')[0]!);
      const subnet = ipam.formatCidr(ipam.parseCidr(this.bip));
      const def = this.networks.all().find((n) => n.isDefault);
      if (!def || def.subnet !== subnet || def.bridge !== this.bridgeName) {
        this.networks.create({ name: 'bridge', bridge: this.bridgeName, subnet, gateway: ipam.intToIp(gw), internal: false, isDefault: true, labels: {} }, def?.id);
      }
      const rules: Rule[] = [];
      const rules6: Rule[] = [];
      for (const n of this.networks.all()) {
        await this.makeBridge(n);
        rules.push(...this.rules.bridgeRules(ruleInput(n)));
        if (n.enableIPv6) rules6.push(...this.rules6.bridgeRules6(ruleInput(n)));
      }
      await this.rules.ensure(rules);
      if (rules6.length) await this.rules6.ensure(rules6);
      for (const n of this.networks.all()) if (!n.isDefault) await this.startDns(n);
    });
  }

  private async startDns(n: NetworkRecord): Promise<void> {
    // The port it had before may be taken now: any free one will do (and is saved).
    const port = await this.dns.listen(n.gateway, n.dnsPort ?? 0).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EADDRINUSE' || !n.dnsPort) throw e;
      return this.dns.listen(n.gateway, 0);
    });
    if (port !== n.dnsPort) {
      n.dnsPort = port;
      this.networks.save(n);
    }
  }

  // ---- networks ------------------------------------------------------------------------------

  createNetwork(o: CreateNetworkOptions): Promise<NetworkInfo> {
    return this.serial(async () => {
      if (!o.name) throw new InvalidArgumentError('network name is required');
      if (!o.allowDuplicateName && this.networks.all().some((n) => n.name === o.name)) throw new ConflictError(`network with name ${o.name} already exists`);
      const plan = planNetwork(o);
      const id = crypto.randomBytes(32).toString('hex');
      const bridge = plan.bridgeName ?? `br-${id.slice(0, 12)}`;
      if (plan.bridgeName) {
        const other = this.networks.all().find((n) => n.bridge === bridge);
        if (other) throw new ForbiddenError(`cannot create network ${id} (${bridge}): conflicts with network ${other.id} (${bridge}): networks have same bridge name`);
        if (linkExists(bridge)) throw new ConflictError(`bridge name ${bridge} is already in use by a host interface`);
      }
      let subnet = plan.subnet;
      if (subnet) {
        if (this.networks.all().some((n) => ipam.overlaps(ipam.parseCidr(n.subnet), subnet!))) {
          throw new ForbiddenError('Pool overlaps with other one on this address space');
        }
      } else {
        const taken = ipam.parseRoutes(await run('ip', ['-4', 'route', 'show', 'table', 'all']));
        for (const n of this.networks.all()) taken.push(ipam.parseCidr(n.subnet));
        subnet = ipam.pickSubnet(taken);
      }
      if (plan.subnet6 && this.networks.all().some((n) => n.subnet6 && ipam6.overlaps6(ipam6.parseCidr6(n.subnet6), plan.subnet6!))) {
        throw new ForbiddenError('Pool overlaps with other one on this address space');
      }
      const gw = plan.gateway ?? subnet.base + 1;
      const rec = this.networks.create({
        name: o.name, bridge, subnet: ipam.formatCidr(subnet), gateway: ipam.intToIp(gw),
        internal: !!o.internal, isDefault: false, labels: o.labels ?? {},
        // an --ip-range is handed out from its start (the gateway may sit inside it)
        ipRange: plan.ipRange, lastIp: plan.ipRange?.split('/')[0], autoSubnet: !plan.subnet || undefined, reserved: plan.reserved.length ? plan.reserved : undefined,
        enableIPv6: plan.enableIPv6, subnet6: plan.subnet6 && ipam6.formatCidr6(plan.subnet6), gateway6: plan.gateway6, ipRange6: plan.ipRange6,
        reserved6: plan.reserved6.length ? plan.reserved6 : undefined, ipamPools: o.ipamPools, options: { ...(o.options ?? {}) }, mtu: plan.mtu,
      }, id);
      try {
        await this.makeBridge(rec);
        await this.rules.ensure(this.rules.bridgeRules(ruleInput(rec)));
        if (rec.enableIPv6) await this.rules6.ensure(this.rules6.bridgeRules6(ruleInput(rec)));
        await this.startDns(rec);
      } catch (err) {
        await this.dropNetwork(rec);
        throw err;
      }
      return info(rec);
    });
  }

  /** The bridge device with its IPv4 gateway (and IPv6 gateway when enabled). */
  private async makeBridge(n: NetworkRecord): Promise<void> {
    await ensureBridge(n.bridge, `${n.gateway}/${n.subnet.split('/')[1]}`, !n.internal, {
      mtu: n.mtu, gateway6: n.enableIPv6 && n.gateway6 && n.subnet6 ? `${n.gateway6}/${n.subnet6.split('/')[1]}` : undefined,
    });
  }

  removeNetwork(idOrName: string): Promise<void> {
    return this.serial(async () => {
      const n = this.networks.find(idOrName);
      if (n.isDefault) throw new ForbiddenError(`${n.name} is a pre-defined network and cannot be removed`);
      if ([...this.sandboxes.values()].some((s) => s.endpoints.some((e) => e.networkId === n.id))) {
        throw new ForbiddenError(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      }
      await this.dropNetwork(n);
    });
  }

  private async dropNetwork(n: NetworkRecord): Promise<void> {
    await this.dns.unlisten(n.gateway);
    await this.rules.remove(this.rules.bridgeRules(ruleInput(n)));
    if (n.enableIPv6) await this.rules6.remove(this.rules6.bridgeRules6(ruleInput(n)));
    await deleteLink(n.bridge);
    this.networks.delete(n.id);
  }

  getNetwork(idOrName: string): NetworkInfo | undefined {
    const n = this.networks.lookup(idOrName);
    return n && info(n);
  }

  listNetworks(): NetworkInfo[] {
    return this.networks.all().map(info);
  }

  // ---- sandboxes -----------------------------------------------------------------------------

  async createSandbox(containerId: string): Promise<{ nsPath: string }> {
    if (!/^[0-9A-Za-z_.-]+$/.test(containerId)) throw new InvalidArgumentError(`invalid container id ${containerId}`);
    if (this.sandboxes.has(containerId)) throw new ConflictError(`sandbox for container ${containerId} already exists`);
    const nsPath = path.join(this.netnsDir, containerId);
    const rec: SandboxRecord = { containerId, nsPath, endpoints: [], ports: [] };
    this.sandboxes.set(containerId, rec);
    try {
      await createNetns(nsPath);
    } catch (err) {
      this.sandboxes.delete(containerId);
      throw err;
    }
    this.state.saveSandbox(rec);
    return { nsPath };
  }

  private findSandbox(containerId: string): SandboxRecord {
    const s = this.sandboxes.get(containerId);
    if (!s) throw new NotFoundError(`no network sandbox for container ${containerId}`);
    return s;
  }

  getSandbox(containerId: string): SandboxInfo | undefined {
    const s = this.sandboxes.get(containerId);
    return s && { containerId, nsPath: s.nsPath, endpoints: s.endpoints.map((e) => ({ ...e })), ports: s.ports.map(({ containerIp: _c, ...p }) => p) };
  }

  async connect(containerId: string, network: string, o: ConnectOptions): Promise<Endpoint> {
    const s = this.findSandbox(containerId);
    const n = this.networks.find(network);
    if (s.endpoints.some((e) => e.networkId === n.id)) throw new ConflictError(`endpoint with name ${containerId} already exists in network ${n.name}`);
    const linkLocalIps = checkLinkLocal(o.linkLocalIps ?? []);
    const ip = this.networks.allocate(n, containerId, o.ip);
    let ip6: string | undefined;
    try {
      ip6 = this.networks.allocate6(n, containerId, o.ip6);
    } catch (err) {
      this.networks.release(n, ip);
      throw err;
    }
    const used = new Set(s.endpoints.map((e) => e.ifname));
    let idx = 0;
    while (used.has(`eth${idx}`)) idx++;
    const prefixLen = Number(n.subnet.split('/')[1]);
    const prefixLen6 = ip6 ? Number(n.subnet6!.split('/')[1]) : undefined;
    const ep: Endpoint = {
      networkId: n.id, endpointId: crypto.randomBytes(32).toString('hex'), ifname: `eth${idx}`, ip, prefixLen, gateway: n.internal ? '' : n.gateway,
      mac: o.mac ?? ipam.macForIp(ipam.ipToInt(ip)), aliases: n.isDefault ? [] : [...new Set(o.aliases ?? [])],
      hostVeth: `veth${crypto.randomBytes(4).toString('hex').slice(0, 7)}`,
      ...(ip6 ? { ip6, prefixLen6, gateway6: n.internal ? '' : n.gateway6 } : {}),
      ...(linkLocalIps.length ? { linkLocalIps } : {}),
      ...(!n.isDefault && o.links && Object.keys(o.links).length ? { links: { ...o.links } } : {}),
    };
    const wantsDefault = !n.internal && !s.endpoints.some((e) => e.gateway);
    const wantsDefault6 = !!ip6 && !n.internal && !s.endpoints.some((e) => e.gateway6);
    const dns = !n.isDefault && !s.dnsRedirect && n.dnsPort ? { gateway: n.gateway, port: n.dnsPort, containerIp: ip } : undefined;
    try {
      await createVeth({
        nsPath: s.nsPath, ifname: ep.ifname, hostVeth: ep.hostVeth, mac: ep.mac, addressCidr: `${ip}/${prefixLen}`, defaultGateway: wantsDefault ? n.gateway : undefined, bridge: n.bridge, dns,
        mtu: n.mtu, address6Cidr: ip6 && `${ip6}/${prefixLen6}`, defaultGateway6: wantsDefault6 ? n.gateway6 : undefined, linkLocalIps,
      });
      if (dns) {
        s.dnsRedirect = true;
        s.dnsVia = ip;
      }
    } catch (err) {
      this.networks.release(n, ip);
      this.networks.release6(n, ip6);
      throw err;
    }
    s.endpoints.push(ep);
    this.state.saveSandbox(s);
    return { ...ep };
  }

  async disconnect(containerId: string, network: string): Promise<void> {
    const s = this.findSandbox(containerId);
    const n = this.networks.find(network);
    const ep = s.endpoints.find((e) => e.networkId === n.id);
    if (!ep) throw new NotFoundError(`container ${containerId} is not connected to network ${n.name}`);
    const rest = s.endpoints.filter((e) => e !== ep);
    const hadDefault = !n.internal && s.endpoints.find((e) => e.gateway) === ep;
    const next = hadDefault ? rest.find((e) => e.gateway) : undefined;
    const portRules = s.ports.filter((p) => p.containerIp === ep.ip).map((p) => this.rules.portRule({ ...p, containerId }));
    await this.rules.removeFast(portRules);
    s.ports = s.ports.filter((p) => p.containerIp !== ep.ip);
    const next6 = ep.gateway6 && s.endpoints.find((e) => e.gateway6) === ep ? rest.find((e) => e.gateway6) : undefined;
    await removeVeth(s.nsPath, ep.ifname, next && { gateway: next.gateway, ifname: next.ifname }, next6 && { gateway: next6.gateway6!, ifname: next6.ifname });
    s.endpoints = rest;
    if (s.dnsRedirect && (s.dnsVia === undefined || s.dnsVia === ep.ip)) {
      // the redirect's SNAT address left with this endpoint: move it to another user network
      const other = rest.find((e) => !this.networks.get(e.networkId)?.isDefault && this.networks.get(e.networkId)?.dnsPort);
      const on = other && this.networks.get(other.networkId)!;
      await replaceDnsRedirect(s.nsPath, on ? { gateway: on.gateway, port: on.dnsPort!, containerIp: other.ip } : undefined);
      s.dnsRedirect = !!on;
      s.dnsVia = other?.ip;
    }
    this.networks.release(n, ep.ip);
    this.networks.release6(n, ep.ip6);
    this.state.saveSandbox(s);
  }

  async publish(containerId: string, ports: PortRequest[]): Promise<PortBinding[]> {
    const s = this.findSandbox(containerId);
    const target = s.endpoints.find((e) => !this.networks.get(e.networkId)?.internal);
    ports = ports.filter((p) => !p.hostIp.includes(':')); // IPv4 only: `::` bindings are skipped
    // `com.docker.network.bridge.host_binding_ipv4`: the default host address of that network
    const hostBinding = target && this.networks.get(target.networkId)?.options?.[BRIDGE_OPTS.hostBinding];
    if (hostBinding) ports = ports.map((p) => (p.hostIp ? p : { ...p, hostIp: hostBinding }));
    if (!target || ports.length === 0) return [];
    const held: PortHold[] = [];
    try {
      for (const p of ports) {
        if (p.proto !== 'tcp' && p.proto !== 'udp') throw new InvalidArgumentError(`invalid proto '${String(p.proto)}'`);
        if (!(p.containerPort > 0 && p.containerPort < 65536) || !(p.hostPort >= 0 && p.hostPort < 65536)) {
          throw new InvalidArgumentError(`invalid port mapping ${p.hostPort}:${p.containerPort}`);
        }
        held.push(await holdPort(p.hostIp, p.hostPort, p.proto));
      }
      const bound = held.map((h, i) => ({ hostIp: h.hostIp, hostPort: h.port, containerPort: ports[i]!.containerPort, proto: h.proto, containerIp: target.ip }));
      await this.rules.add(bound.map((b) => this.rules.portRule({ ...b, containerId })));
      s.ports.push(...bound);
      this.holds.set(containerId, [...(this.holds.get(containerId) ?? []), ...held]);
      this.state.saveSandbox(s);
      return bound.map(({ containerIp: _c, ...b }) => b);
    } catch (err) {
      await Promise.all(held.map((h) => h.close()));
      throw err;
    }
  }

  async unpublish(containerId: string): Promise<void> {
    const s = this.sandboxes.get(containerId);
    if (!s) return;
    await this.rules.removeFast(s.ports.map((p) => this.rules.portRule({ ...p, containerId })));
    await Promise.all((this.holds.get(containerId) ?? []).map((h) => h.close()));
    this.holds.delete(containerId);
    s.ports = [];
    this.state.saveSandbox(s);
  }

  renderFiles(containerId: string, o: FileOptions): ContainerFiles {
    const s = this.findSandbox(containerId);
    const embeddedDns = s.endpoints.some((e) => !this.networks.get(e.networkId)?.isDefault);
    const dnsServers = embeddedDns && o.dns?.length ? o.dns : undefined;
    if (String(dnsServers) !== String(s.dnsServers)) {
      s.dnsServers = dnsServers;
      this.state.saveSandbox(s);
    }
    return {
      hosts: renderHosts({ hostname: o.hostname, domainname: o.domainname, ip: s.endpoints[0]?.ip ?? o.ip, extraHosts: o.extraHosts }),
      hostname: renderHostname(o.hostname),
      resolvConf: renderResolvConf({ host: this.hostResolvConf(), embeddedDns, dns: o.dns, dnsSearch: o.dnsSearch, dnsOptions: o.dnsOptions }),
    };
  }

  private hostResolvConf(): string {
    try {
      return fs.readFileSync(this.resolvConfPath, 'utf8');
    } catch {
      return '';
    }
  }

  async destroySandbox(containerId: string): Promise<void> {
    const s = this.sandboxes.get(containerId);
    if (!s) {
      await deleteNetns(path.join(this.netnsDir, containerId));
      return;
    }
    await this.unpublish(containerId);
    await deleteNetns(s.nsPath);
    for (const ep of s.endpoints) {
      const n = this.networks.get(ep.networkId);
      if (n) {
        this.networks.release(n, ep.ip);
        this.networks.release6(n, ep.ip6);
      }
    }
    this.sandboxes.delete(containerId);
    this.state.deleteSandbox(containerId);
  }

  // ---- restart -------------------------------------------------------------------------------

  restore(liveContainerIds: Iterable<string>): Promise<void> {
    return this.serial(async () => {
      const live = new Set(liveContainerIds);
      const rules: Rule[] = [];
      for (const s of this.state.loadSandboxes()) {
        if (!live.has(s.containerId) || !isMounted(s.nsPath)) continue;
        this.sandboxes.set(s.containerId, s);
        const holds: PortHold[] = [];
        for (const p of s.ports) {
          rules.push(this.rules.portRule({ ...p, containerId: s.containerId }));
          try {
            holds.push(await holdPort(p.hostIp, p.hostPort, p.proto));
          } catch (err) {
            this.opts.logger?.warn('cannot re-hold published port', { container: s.containerId, port: p.hostPort, error: String(err) });
          }
        }
        this.holds.set(s.containerId, holds);
      }
      await this.rules.ensure(rules);
      // IPAM: an allocation stands only if a live sandbox holds it.
      for (const n of this.networks.all()) {
        const keep: Record<string, string> = {};
        for (const s of this.sandboxes.values()) for (const e of s.endpoints) if (e.networkId === n.id) keep[e.ip] = s.containerId;
        for (const [ip, owner] of Object.entries(n.allocations)) if (live.has(owner) && !this.sandboxes.has(owner)) keep[ip] = owner;
        n.allocations = keep;
        if (n.allocations6) {
          const keep6: Record<string, string> = {};
          for (const s of this.sandboxes.values()) for (const e of s.endpoints) if (e.networkId === n.id && e.ip6) keep6[e.ip6] = s.containerId;
          for (const [ip, owner] of Object.entries(n.allocations6)) if (live.has(owner) && !this.sandboxes.has(owner)) keep6[ip] = owner;
          n.allocations6 = keep6;
        }
        this.networks.save(n);
      }
    });
  }

  cleanupOrphans(liveContainerIds: Iterable<string>): Promise<string[]> {
    return this.serial(async () => {
      const live = new Set(liveContainerIds);
      const removed = new Set<string>();
      for (const s of this.state.loadSandboxes()) {
        if (live.has(s.containerId)) continue;
        if (!this.sandboxes.has(s.containerId)) this.sandboxes.set(s.containerId, s);
        await this.destroySandbox(s.containerId);
        removed.add(s.containerId);
      }
      for (const id of listNetns(this.netnsDir)) {
        if (live.has(id)) continue;
        await deleteNetns(path.join(this.netnsDir, id));
        removed.add(id);
      }
      await this.rules.remove(await this.rules.orphanPortRules(live));
      const known = new Set([...this.sandboxes.values()].flatMap((s) => s.endpoints.map((e) => e.hostVeth)));
      for (const n of this.networks.all()) {
        for (const v of bridgePorts(n.bridge)) {
          if (!known.has(v)) await deleteLink(v).catch((e: Error) => this.opts.logger?.warn(`orphan veth ${v} on ${n.bridge} cannot be removed (retried at the next start): ${e.message}`));
        }
        for (const [ip, owner] of Object.entries(n.allocations)) if (!live.has(owner)) this.networks.release(n, ip);
        for (const [ip, owner] of Object.entries(n.allocations6 ?? {})) if (!live.has(owner)) this.networks.release6(n, ip);
      }
      return [...removed];
    });
  }

  // ---- shutdown ------------------------------------------------------------------------------

  async close(): Promise<void> {
    await this.dns.close();
    await Promise.all([...this.holds.values()].flat().map((h) => h.close()));
    this.holds.clear();
  }

  /** Removes everything this driver made: sandboxes, networks, bridges, chains, netns folder. */
  async uninstall(): Promise<void> {
    const warn = (what: string) => (e: Error) => this.opts.logger?.warn(`uninstall: ${what}: ${e.message}`);
    for (const id of [...this.sandboxes.keys()]) await this.destroySandbox(id).catch(warn(`sandbox of ${id}`));
    await this.cleanupOrphans([]).catch(warn('orphans'));
    await this.close();
    for (const n of this.networks.all()) {
      await this.serial(() => this.dropNetwork(n)).catch(warn(`network ${n.name} (${n.bridge})`));
    }
    await this.rules.uninstall();
    await this.rules6.uninstall();
    await releaseNetnsDir(this.netnsDir);
  }
}

