/**
 * The bridge driver's networks in memory, mirrored to `<stateDir>/networks/<id>.json` on every
 * change: lookup by id / name / unique id prefix, and IPAM (addresses handed out round-robin,
 * persisted before the endpoint exists, so no address is ever given twice, restarts included).
 */
import crypto from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../../common/errors.ts';
import type { NetworkInfo } from '../contract.ts';
import * as ipam from './ipam.ts';
import * as ipam6 from './ipam6.ts';
import type { NetworkRecord, StateDir } from './state.ts';

export class NetworkTable {
  private readonly byId = new Map<string, NetworkRecord>();

  constructor(private readonly state: StateDir) {
    for (const n of state.loadNetworks()) this.byId.set(n.id, n);
  }

  all(): NetworkRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): NetworkRecord | undefined {
    return this.byId.get(id);
  }

  /** Full id, exact name, or a unique id prefix. */
  lookup(idOrName: string): NetworkRecord | undefined {
    const all = this.all();
    const exact = all.find((n) => n.id === idOrName) ?? all.find((n) => n.name === idOrName);
    if (exact || !idOrName) return exact;
    const byPrefix = all.filter((n) => n.id.startsWith(idOrName));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  find(idOrName: string): NetworkRecord {
    const n = this.lookup(idOrName);
    if (!n) throw new NotFoundError(`network ${idOrName} not found`);
    return n;
  }

  create(n: Omit<NetworkInfo, 'id' | 'driver' | 'created'> & Partial<NetworkRecord>, id?: string): NetworkRecord {
    const rec: NetworkRecord = {
      ...n, id: id ?? crypto.randomBytes(32).toString('hex'), driver: 'bridge', created: new Date().toISOString(), allocations: {}, lastIp: n.lastIp ?? n.gateway,
    };
    this.save(rec);
    return rec;
  }

  save(n: NetworkRecord): void {
    this.byId.set(n.id, n);
    this.state.saveNetwork(n);
  }

  delete(id: string): void {
    this.byId.delete(id);
    this.state.deleteNetwork(id);
  }

  /**
   * Reserves an address for `containerId` (the wanted one, or the next free of the IP range)
   * and persists it. A static address must be on a user network, inside the subnet, not the
   * gateway, not taken (the engine adds docker's "user configured subnet" rule).
   */
  allocate(n: NetworkRecord, containerId: string, wanted?: string): string {
    const subnet = ipam.parseCidr(n.subnet);
    const gw = ipam.ipToInt(n.gateway);
    let ip: number | undefined;
    if (wanted) {
      if (n.isDefault) throw new InvalidArgumentError('user specified IP address is supported on user defined networks only');
      ip = ipam.ipToInt(wanted);
      if (!ipam.contains(subnet, ip) || ip === gw) throw new InvalidArgumentError(`no available IPv4 address for ${wanted} in network ${n.name}`);
      if (n.allocations[wanted]) throw new ConflictError('Address already in use');
    } else {
      const used = new Set([...Object.keys(n.allocations), ...(n.reserved ?? [])].map(ipam.ipToInt));
      const range = n.ipRange ? ipam.parseCidr(n.ipRange) : subnet;
      ip = ipam.nextFreeIp(subnet, gw, used, ipam.ipToInt(n.lastIp), range);
      if (ip === undefined) throw new ConflictError(`no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`);
      n.lastIp = ipam.intToIp(ip);
    }
    const s = ipam.intToIp(ip);
    n.allocations[s] = containerId;
    this.save(n);
    return s;
  }

  /** The IPv6 twin of allocate() for networks with enableIPv6; undefined when the network has none. */
  allocate6(n: NetworkRecord, containerId: string, wanted?: string): string | undefined {
    if (!n.enableIPv6 || !n.subnet6) return undefined;
    const subnet = ipam6.parseCidr6(n.subnet6);
    const allocations = (n.allocations6 ??= {});
    let ip: bigint | undefined;
    if (wanted) {
      ip = ipam6.ip6ToBig(wanted);
      if (!ipam6.contains6(subnet, ip) || (n.gateway6 && ip === ipam6.ip6ToBig(n.gateway6))) throw new InvalidArgumentError(`no available IPv6 address for ${wanted} in network ${n.name}`);
      if (allocations[ipam6.bigToIp6(ip)]) throw new ConflictError('Address already in use');
    } else {
      const used = new Set([...Object.keys(allocations), ...(n.reserved6 ?? []), ...(n.gateway6 ? [n.gateway6] : [])].map(ipam6.ip6ToBig));
      const range = n.ipRange6 ? ipam6.parseCidr6(n.ipRange6) : subnet;
      ip = ipam6.nextFreeIp6(subnet, range, used, n.lastIp6 ? ipam6.ip6ToBig(n.lastIp6) : -1n);
      if (ip === undefined) throw new ConflictError(`no available IPv6 addresses on this network's address pools: ${n.name} (${n.id})`);
      n.lastIp6 = ipam6.bigToIp6(ip);
    }
    const s = ipam6.bigToIp6(ip);
    allocations[s] = containerId;
    this.save(n);
    return s;
  }

  release6(n: NetworkRecord, ip: string | undefined): void {
    if (!ip || !n.allocations6?.[ip]) return;
    delete n.allocations6[ip];
    this.save(n);
  }

  release(n: NetworkRecord, ip: string): void {
    if (!n.allocations[ip]) return;
    delete n.allocations[ip];
    this.save(n);
  }
}

export function info(n: NetworkRecord): NetworkInfo {
  return {
    id: n.id, name: n.name, driver: 'bridge', bridge: n.bridge, subnet: n.subnet, gateway: n.gateway,
    internal: n.internal, isDefault: n.isDefault, labels: { ...n.labels }, created: n.created,
    ipRange: n.ipRange, autoSubnet: n.autoSubnet, enableIPv6: n.enableIPv6 ?? false, subnet6: n.subnet6, gateway6: n.gateway6, ipRange6: n.ipRange6,
    ipamPools: n.ipamPools?.map((p) => ({ ...p })), options: { ...(n.options ?? {}) }, mtu: n.mtu,
  };
}
