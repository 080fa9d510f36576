/**
 * The bridge driver's networks in memory, mirrored to `<stateDir>/networks/<id>.json` on every
 * change: lookup by id / name / unique id prefix, and IPAM (addresses handed out round-robin,
 * persisted before the endpoint exists, so no address is ever given twice, restarts included).
 */
import crypto from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../../common/errors.ts';
import type { NetworkInfo } from '../contract.ts';
import * as ipam from './ipam.ts';
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

  create(n: Omit<NetworkInfo, 'id' | 'driver' | 'created'>, id?: string): NetworkRecord {
    const rec: NetworkRecord = {
      ...n, id: id ?? crypto.randomBytes(32).toString('hex'), driver: 'bridge', created: new Date().toISOString(), allocations: {}, lastIp: n.gateway,
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

  /** Reserves an address for `containerId` (the wanted one, or the next free) and persists it. */
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
      const used = new Set(Object.keys(n.allocations).map(ipam.ipToInt));
      ip = ipam.nextFreeIp(subnet, gw, used, ipam.ipToInt(n.lastIp));
      if (ip === undefined) throw new ConflictError(`no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`);
      n.lastIp = ipam.intToIp(ip);
    }
    const s = ipam.intToIp(ip);
    n.allocations[s] = containerId;
    this.save(n);
    return s;
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
  };
}
