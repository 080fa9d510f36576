/**
 * An in-memory NetworkDriver (src/drivers/network/contract.ts) for the engine's unit tests: no
 * netns, veth, iptables or DNS. Networks are records with a sequential IPv4 IPAM; a sandbox is
 * a path that is never created; published ports are "held" in a set (a taken one fails with
 * docker's text); renderFiles gives hosts/hostname/resolv.conf from the endpoints.
 *
 *   const net = new FakeNetwork();       // has the default `bridge` (172.17.0.0/16)
 *   await net.createSandbox(id); await net.connect(id, 'bridge', {}); // 172.17.0.2
 *
 * With `{ name, sandboxes: false }` it is a second driver that only owns networks (as macvlan
 * would): no default network, and connect joins the sandbox it is handed (`opts.nsPath`, made
 * by another driver); its interfaces are `<name>0`, `<name>1`, … there.
 *
 * Not modelled: IPv6, ip ranges, aux addresses, link-local addresses, internal isolation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError, SystemError } from '../../src/common/errors.ts';
import type {
  ConnectOptions, ContainerFiles, CreateNetworkOptions, Endpoint, FileOptions, NetworkDriver, NetworkInfo, PortBinding, PortRequest, SandboxInfo,
  SandboxProvider,
} from '../../src/drivers/network/contract.ts';

const toInt = (ip: string) => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
function cidr(s: string): { base: number; len: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(s);
  if (!m || Number(m[2]) > 32) throw new InvalidArgumentError(`invalid CIDR address: ${s}`);
  const len = Number(m[2]);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return { base: (toInt(m[1]!) & mask) >>> 0, len };
}
const inside = (ip: string, net: string) => { const c = cidr(net); return ((toInt(ip) ^ c.base) >>> (32 - c.len)) === 0 || c.len === 0; };

export interface FakeNetworkOptions {
  execRoot?: string;
  /** The driver's registry name (default `bridge`, which has the default network). */
  name?: string;
  /** false: a driver of networks only, joining sandboxes made by another (default true). */
  sandboxes?: boolean;
  /** Second octet of its automatic subnets (172.X.0.0/16), so two fakes do not overlap. */
  firstPool?: number;
}

export class FakeNetwork implements NetworkDriver, SandboxProvider {
  readonly name: string;
  readonly execRoot: string;
  /** Makes sandboxes itself (false: connect needs `opts.nsPath`). */
  readonly providesSandboxes: boolean;
  readonly networks = new Map<string, NetworkInfo>();
  readonly sandboxes = new Map<string, SandboxInfo>();
  /** network id → allocated addresses (as integers). */
  readonly #used = new Map<string, Set<number>>();
  /** `hostIp:port/proto` held by a container. */
  readonly #ports = new Map<string, string>();
  #nextPort = 32768;
  #nextPool: number;
  /** Every driver call, in order (`createSandbox <id>`, `connect <id> <network>`, …). */
  readonly calls: string[] = [];

  constructor(o: FakeNetworkOptions = {}) {
    this.execRoot = o.execRoot ?? '/run/wharf-fake';
    this.name = o.name ?? 'bridge';
    this.providesSandboxes = o.sandboxes ?? true;
    this.#nextPool = o.firstPool ?? 18;
    if (this.name !== 'bridge') return;
    const id = createHash('sha256').update('fake-default-bridge').digest('hex');
    this.networks.set(id, { id, name: 'bridge', driver: 'bridge', bridge: 'wharf0', subnet: '172.17.0.0/16', gateway: '172.17.0.1', internal: false, isDefault: true, labels: {}, created: new Date().toISOString() });
    this.#used.set(id, new Set());
  }

  async init(): Promise<void> {}
  async restore(): Promise<void> {}
  async cleanupOrphans(live: Iterable<string>): Promise<string[]> {
    const keep = new Set(live);
    const gone = [...this.sandboxes.keys()].filter((id) => !keep.has(id));
    for (const id of gone) await this.destroySandbox(id);
    return gone;
  }

  async createNetwork(o: CreateNetworkOptions): Promise<NetworkInfo> {
    if (!o.name) throw new InvalidArgumentError('network name is required');
    if (!o.allowDuplicateName && this.listNetworks().some((n) => n.name === o.name)) throw new ConflictError(`network with name ${o.name} already exists`);
    const subnet = o.subnet ?? `172.${this.#nextPool++}.0.0/16`;
    const c = cidr(subnet);
    if (this.listNetworks().some((n) => { const x = cidr(n.subnet); const len = Math.min(x.len, c.len); return len === 0 || (x.base >>> (32 - len)) === (c.base >>> (32 - len)); })) {
      throw new ForbiddenError('Pool overlaps with other one on this address space');
    }
    const id = randomBytes(32).toString('hex');
    const info: NetworkInfo = {
      id, name: o.name, driver: this.name, bridge: o.options?.['com.docker.network.bridge.name'] ?? `br-${id.slice(0, 12)}`, subnet,
      gateway: o.gateway ?? toIp(c.base + 1), internal: o.internal === true, isDefault: false, labels: o.labels ?? {},
      created: new Date().toISOString(), autoSubnet: o.subnet === undefined, options: o.options, ipamPools: o.ipamPools,
    };
    this.networks.set(id, info);
    this.#used.set(id, new Set());
    return info;
  }

  private find(idOrName: string): NetworkInfo {
    const n = this.getNetwork(idOrName);
    if (!n) throw new NotFoundError(`network ${idOrName} not found`);
    return n;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    const n = this.find(idOrName);
    if (n.isDefault) throw new ForbiddenError(`${n.name} is a pre-defined network and cannot be removed`);
    if ([...this.sandboxes.values()].some((s) => s.endpoints.some((e) => e.networkId === n.id))) {
      throw new ForbiddenError(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    }
    this.networks.delete(n.id);
    this.#used.delete(n.id);
  }

  getNetwork(idOrName: string): NetworkInfo | undefined {
    if (!idOrName) return undefined;
    const all = this.listNetworks();
    return this.networks.get(idOrName) ?? all.find((n) => n.name === idOrName)
      ?? (/^[0-9a-f]+$/.test(idOrName) ? (all.filter((n) => n.id.startsWith(idOrName)).length === 1 ? all.find((n) => n.id.startsWith(idOrName)) : undefined) : undefined);
  }

  listNetworks(): NetworkInfo[] {
    return [...this.networks.values()];
  }

  async createSandbox(containerId: string): Promise<{ nsPath: string }> {
    this.calls.push(`createSandbox ${containerId}`);
    if (this.sandboxes.has(containerId)) throw new ConflictError(`sandbox for container ${containerId} already exists`);
    const nsPath = `${this.execRoot}/netns/${containerId}`;
    this.sandboxes.set(containerId, { containerId, nsPath, endpoints: [], ports: [] });
    return { nsPath };
  }

  async connect(containerId: string, network: string, o: ConnectOptions): Promise<Endpoint> {
    this.calls.push(`connect ${containerId} ${network}`);
    if (!this.providesSandboxes && o.nsPath && !this.sandboxes.has(containerId)) {
      // the endpoints this driver put into another driver's sandbox
      this.sandboxes.set(containerId, { containerId, nsPath: o.nsPath, endpoints: [], ports: [] });
    }
    const s = this.sandboxes.get(containerId);
    if (!s) throw new NotFoundError(`no network sandbox for container ${containerId}`);
    const n = this.find(network);
    if (s.endpoints.some((e) => e.networkId === n.id)) throw new ConflictError(`endpoint with name ${containerId} already exists in network ${n.name}`);
    const used = this.#used.get(n.id)!;
    const c = cidr(n.subnet);
    let ip: number;
    if (o.ip) {
      if (!inside(o.ip, n.subnet)) throw new InvalidArgumentError(`no available IPv4 address: ${o.ip} is not in ${n.subnet}`);
      ip = toInt(o.ip);
      if (used.has(ip) || o.ip === n.gateway) throw new ConflictError(`Address already in use`);
    } else {
      ip = c.base + 2;
      const last = c.base + 2 ** (32 - c.len) - 2;
      while (used.has(ip) || toIp(ip) === n.gateway) ip++;
      if (ip > last) throw new SystemError(`no available IPv4 addresses on network ${n.name}`);
    }
    used.add(ip);
    const ifs = new Set(s.endpoints.map((e) => e.ifname));
    let idx = 0;
    const prefix = this.providesSandboxes ? 'eth' : this.name;
    while (ifs.has(`${prefix}${idx}`)) idx++;
    const ep: Endpoint = {
      networkId: n.id, endpointId: randomBytes(32).toString('hex'), ifname: `${prefix}${idx}`, ip: toIp(ip), prefixLen: c.len,
      gateway: n.gateway, mac: o.mac ?? `02:42:${toIp(ip).split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join(':')}`,
      aliases: o.aliases ?? [], hostVeth: `veth${containerId.slice(0, 7)}`, links: o.links,
    };
    s.endpoints.push(ep);
    return ep;
  }

  async disconnect(containerId: string, network: string): Promise<void> {
    this.calls.push(`disconnect ${containerId} ${network}`);
    const s = this.sandboxes.get(containerId);
    const n = this.find(network);
    const ep = s?.endpoints.find((e) => e.networkId === n.id);
    if (!s || !ep) throw new NotFoundError(`container ${containerId} is not connected to network ${n.name}`);
    s.endpoints.splice(s.endpoints.indexOf(ep), 1);
    this.#used.get(n.id)?.delete(toInt(ep.ip));
    if (!this.providesSandboxes && s.endpoints.length === 0) this.sandboxes.delete(containerId);
  }

  async publish(containerId: string, ports: PortRequest[]): Promise<PortBinding[]> {
    this.calls.push(`publish ${containerId}`);
    const s = this.sandboxes.get(containerId);
    if (!s) throw new NotFoundError(`no network sandbox for container ${containerId}`);
    if (!s.endpoints.some((e) => !this.networks.get(e.networkId)?.internal)) return [];
    const out: PortBinding[] = [];
    const taken: string[] = [];
    try {
      for (const p of ports) {
        if (p.hostIp.includes(':')) continue;
        if (p.proto !== 'tcp' && p.proto !== 'udp') throw new InvalidArgumentError(`invalid proto '${String(p.proto)}'`);
        const hostIp = p.hostIp === '' ? '0.0.0.0' : p.hostIp;
        let port = p.hostPort;
        if (port === 0) { do port = this.#nextPort++; while (this.#held(hostIp, port, p.proto)); }
        if (this.#held(hostIp, port, p.proto)) throw new SystemError(`Bind for ${hostIp}:${port} failed: port is already allocated`);
        const key = `${hostIp}:${port}/${p.proto}`;
        this.#ports.set(key, containerId);
        taken.push(key);
        out.push({ hostIp: p.hostIp, hostPort: port, containerPort: p.containerPort, proto: p.proto });
      }
    } catch (err) {
      for (const k of taken) this.#ports.delete(k);
      throw err;
    }
    s.ports.push(...out);
    return out;
  }

  #held(hostIp: string, port: number, proto: string): boolean {
    return [...this.#ports.keys()].some((k) => {
      const [ip, rest] = [k.slice(0, k.lastIndexOf(':')), k.slice(k.lastIndexOf(':') + 1)];
      return rest === `${port}/${proto}` && (ip === hostIp || ip === '0.0.0.0' || hostIp === '0.0.0.0');
    });
  }

  async unpublish(containerId: string): Promise<void> {
    for (const [k, id] of this.#ports) if (id === containerId) this.#ports.delete(k);
    const s = this.sandboxes.get(containerId);
    if (s) s.ports = [];
  }

  getSandbox(containerId: string): SandboxInfo | undefined {
    return this.sandboxes.get(containerId);
  }

  renderFiles(containerId: string, o: FileOptions): ContainerFiles {
    const s = this.sandboxes.get(containerId);
    const first = s?.endpoints[0];
    const user = first && !this.networks.get(first.networkId)?.isDefault;
    let hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
    if (first ?? o.ip) hosts += `${first?.ip ?? o.ip}\t${o.hostname}\n`;
    for (const h of o.extraHosts ?? []) { const i = h.indexOf(':'); hosts += `${h.slice(i + 1)}\t${h.slice(0, i)}\n`; }
    const ns = user ? ['127.0.0.11'] : o.dns?.length ? o.dns : ['8.8.8.8'];
    let resolv = ns.map((n) => `nameserver ${n}\n`).join('');
    if (o.dnsSearch?.length) resolv += `search ${o.dnsSearch.join(' ')}\n`;
    if (o.dnsOptions?.length || user) resolv += `options ${[...(user ? ['ndots:0'] : []), ...(o.dnsOptions ?? [])].join(' ')}\n`;
    return { hosts, hostname: `${o.hostname}\n`, resolvConf: resolv };
  }

  async destroySandbox(containerId: string): Promise<void> {
    this.calls.push(`destroySandbox ${containerId}`);
    const s = this.sandboxes.get(containerId);
    if (!s) return;
    await this.unpublish(containerId);
    for (const ep of s.endpoints) this.#used.get(ep.networkId)?.delete(toInt(ep.ip));
    this.sandboxes.delete(containerId);
  }

  async close(): Promise<void> {}
}
