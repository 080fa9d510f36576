/**
 * The networks service (engine): `docker network ls/inspect/create/rm/prune/connect/
 * disconnect` on top of the network drivers, looked up by name (`create -d NAME`; a network's
 * other operations go to the driver it names), plus docker's built-in `host` and `none` networks. Containers join and leave through the containers service, which owns
 * the container records (their Endpoints and the networks they rejoin at each start).
 */
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError, NotImplementedError } from '../../common/errors.ts';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../common/logger.ts';
import type { DriverRegistry } from '../../common/driver-registry.ts';
import { keptByUntil, pruneUntil } from '../../api/types/docker-time.ts';
import type { CreateNetworkOptions, IpamPool, NetworkDriver, NetworkInfo } from '../../drivers/network/contract.ts';
import type { EventBus } from '../events/index.ts';
import { endpointRequest, type AttachRequest, type EndpointRecord } from '../containers/index.ts';
import { pruneLabelsMatch } from '../../api/types/labels.ts';
import { bridgeView, filterNetworks, PREDEFINED, predefinedId, predefinedView, type NetworkView, type Predefined } from './view.ts';

export type { NetworkView } from './view.ts';
export { LIST_FILTERS } from './view.ts';

/** What the networks service needs from the containers service. */
export interface NetworkContainers {
  connectNetwork(ref: string, network: string, o: AttachRequest): Promise<NetworkInfo>;
  disconnectNetwork(ref: string, network: string, force: boolean): Promise<NetworkInfo>;
  networkAttachments(networkId: string): { id: string; name: string; endpoint: EndpointRecord }[];
  containersInMode(mode: string): { id: string; name: string }[];
}

export interface NetworksDeps {
  /** The network drivers by name (the composition root registers them; an unknown name is docker's 404). */
  drivers: DriverRegistry<NetworkDriver>;
  /** Drivers this daemon knows but runs without (`bridge` with `--iptables=false`): name → why, answered as 501. */
  unavailable?: Record<string, string>;
  containers: NetworkContainers;
  events: EventBus;
  logger?: Logger;
}

/** `POST /networks/create` body (the fields this engine reads). */
export interface NetworkCreateRequest {
  Name?: unknown;
  CheckDuplicate?: unknown;
  Driver?: unknown;
  Internal?: unknown;
  Attachable?: unknown;
  Ingress?: unknown;
  EnableIPv6?: unknown;
  IPAM?: { Driver?: unknown; Config?: unknown; Options?: unknown } | null;
  Options?: unknown;
  Labels?: unknown;
  ConfigOnly?: unknown;
  ConfigFrom?: unknown;
}

type Resolved = { kind: 'bridge'; info: NetworkInfo } | { kind: 'predefined'; p: Predefined };

function str(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type string`);
  return v;
}

function strMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${field}`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = String(x);
  return out;
}

function isIp4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
}

function isCidr4(s: string): boolean {
  const [ip, len, ...rest] = s.split('/');
  return rest.length === 0 && !!ip && isIp4(ip) && !!len && /^\d{1,2}$/.test(len) && Number(len) <= 32;
}

type IpamFields = Pick<CreateNetworkOptions, 'subnet' | 'gateway' | 'ipRange' | 'reserved' | 'subnet6' | 'gateway6' | 'ipRange6' | 'reserved6' | 'ipamPools'>;

/** `IPAM.Config`: at most one IPv4 and one IPv6 pool (the bridge driver's rule), checked. */
function ipamRequest(raw: unknown): IpamFields {
  if (raw === undefined || raw === null) return {};
  if (!Array.isArray(raw)) throw new InvalidArgumentError('json: cannot unmarshal IPAM.Config');
  const pools: IpamPool[] = raw.map((c: unknown) => {
    const o = (c && typeof c === 'object' ? c : {}) as Record<string, unknown>;
    const pool: IpamPool = { Subnet: str(o.Subnet, 'Subnet') };
    if (str(o.IPRange, 'IPRange')) pool.IPRange = str(o.IPRange, 'IPRange');
    if (str(o.Gateway, 'Gateway')) pool.Gateway = str(o.Gateway, 'Gateway');
    const aux = strMap(o.AuxiliaryAddresses, 'AuxiliaryAddresses');
    if (Object.keys(aux).length) pool.AuxiliaryAddresses = aux;
    return pool;
  });
  const v6 = (p: IpamPool) => (p.Subnet ?? '').includes(':');
  const p4 = pools.filter((p) => !v6(p));
  const p6 = pools.filter(v6);
  if (p4.length > 1 || p6.length > 1) throw new ForbiddenError("bridge driver doesn't support multiple subnets");
  const out: IpamFields = pools.length ? { ipamPools: pools } : {};
  const a = p4[0];
  if (a) {
    if (!a.Subnet) throw new InvalidArgumentError('ipam config has no subnet');
    if (!isCidr4(a.Subnet)) throw new InvalidArgumentError(`invalid CIDR address: ${a.Subnet}`);
    if (a.Gateway && !isIp4(a.Gateway)) throw new InvalidArgumentError(`invalid gateway address ${a.Gateway} in ipam configuration`);
    for (const x of Object.values(a.AuxiliaryAddresses ?? {})) if (!isIp4(x)) throw new InvalidArgumentError(`invalid auxiliary address ${x} in ipam configuration`);
    Object.assign(out, { subnet: a.Subnet, gateway: a.Gateway, ipRange: a.IPRange, reserved: Object.values(a.AuxiliaryAddresses ?? {}) });
  }
  const b = p6[0];
  if (b) {
    if (b.Gateway && !isIPv6(b.Gateway)) throw new InvalidArgumentError(`invalid gateway address ${b.Gateway} in ipam configuration`);
    for (const x of Object.values(b.AuxiliaryAddresses ?? {})) if (!isIPv6(x)) throw new InvalidArgumentError(`invalid auxiliary address ${x} in ipam configuration`);
    Object.assign(out, { subnet6: b.Subnet, gateway6: b.Gateway, ipRange6: b.IPRange, reserved6: Object.values(b.AuxiliaryAddresses ?? {}) });
  }
  return out;
}

export class NetworksService {
  constructor(private readonly deps: NetworksDeps) {}

  private created(): string {
    return this.networks().find((n) => n.isDefault)?.created ?? '0001-01-01T00:00:00Z';
  }

  /** Every network of every registered driver. */
  private networks(): NetworkInfo[] {
    return this.deps.drivers.instances().flatMap((d) => d.listNetworks());
  }

  /** The driver that owns a network (the one its record names). */
  private owner(info: NetworkInfo): NetworkDriver {
    return this.deps.drivers.get(info.driver);
  }

  /**
   * docker's lookup: full id, exact name, then a unique id prefix. A name several networks
   * share (created without CheckDuplicate) is ambiguous, with each operation's wording.
   */
  private resolve(ref: string, op: 'inspect' | 'remove' | 'attach' = 'attach'): Resolved {
    const all = this.all();
    const id = (r: Resolved) => (r.kind === 'bridge' ? r.info.id : predefinedId(r.p.name));
    const name = (r: Resolved) => (r.kind === 'bridge' ? r.info.name : r.p.name);
    const byId = all.find((r) => id(r) === ref);
    if (byId) return byId;
    const byName = all.filter((r) => name(r) === ref);
    if (byName.length > 1) {
      const n = byName.length;
      if (op === 'inspect') throw new InvalidArgumentError(`${n} matches found based on name: network ${ref} is ambiguous`);
      throw new InvalidArgumentError(`network ${ref} is ambiguous (${n} matches found ${op === 'remove' ? 'based ' : ''}on name)`);
    }
    if (byName.length === 1) return byName[0]!;
    const byPrefix = ref ? all.filter((r) => id(r).startsWith(ref)) : [];
    if (byPrefix.length > 1) throw new NotFoundError(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    if (byPrefix.length === 1) return byPrefix[0]!;
    throw new NotFoundError(`network ${ref} not found`);
  }

  private view(r: Resolved, withContainers: boolean): NetworkView {
    if (r.kind === 'predefined') {
      const v = predefinedView(r.p, this.created());
      if (withContainers && r.p.name === 'host') {
        for (const c of this.deps.containers.containersInMode('host')) v.Containers[c.id] = { Name: c.name, EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' };
      }
      return v;
    }
    const v = bridgeView(r.info);
    if (withContainers) {
      for (const c of this.deps.containers.networkAttachments(r.info.id)) {
        const ep = c.endpoint;
        v.Containers[c.id] = { Name: c.name, EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: `${ep.IPAddress}/${ep.IPPrefixLen}`, IPv6Address: ep.GlobalIPv6Address ? `${ep.GlobalIPv6Address}/${ep.GlobalIPv6PrefixLen}` : '' };
      }
    }
    return v;
  }

  private all(): Resolved[] {
    const bridges: Resolved[] = this.networks().map((info) => ({ kind: 'bridge', info }));
    return [...bridges, ...PREDEFINED.map((p): Resolved => ({ kind: 'predefined', p }))];
  }

  /** `GET /networks`: keys already checked against LIST_FILTERS by the router. */
  list(filters: Record<string, string[]> = {}): NetworkView[] {
    const views = this.all().map((r) => this.view(r, false));
    return filterNetworks(views, filters, (v) => this.inUse(v));
  }

  private inUse(v: NetworkView): boolean {
    if (v.Name === 'host') return this.deps.containers.containersInMode('host').length > 0;
    return this.deps.containers.networkAttachments(v.Id).length > 0;
  }

  inspect(ref: string): NetworkView {
    return this.view(this.resolve(ref, 'inspect'), true);
  }

  /**
   * `POST /networks/create`. Names may repeat unless `CheckDuplicate` or `opts.unique` (docker
   * 20.10: the second network gets a Warning); the router sets `unique` from API 1.44 on.
   */
  async create(body: NetworkCreateRequest, opts: { unique?: boolean } = {}): Promise<{ Id: string; Warning: string }> {
    const name = str(body.Name, 'Name');
    if (!name) throw new InvalidArgumentError('network name is required');
    const driverName = str(body.Driver, 'Driver') || 'bridge';
    if (PREDEFINED.some((p) => p.name === name) || this.networks().some((n) => n.isDefault && n.name === name)) {
      throw new ForbiddenError(`operation is not permitted on predefined ${name} network `);
    }
    const sameName = this.networks().filter((n) => n.name === name);
    const unique = body.CheckDuplicate === true || !!opts.unique;
    if (sameName.length && unique) throw new ConflictError(`network with name ${name} already exists`);
    if (driverName === 'host' || driverName === 'null') throw new ForbiddenError(`only one instance of "${driverName}" network is allowed`);
    const why = this.deps.unavailable?.[driverName];
    if (why === undefined) this.deps.drivers.get(driverName); // docker's 404 `plugin "X" not found`
    if (body.ConfigOnly === true || (body.ConfigFrom && typeof body.ConfigFrom === 'object' && (body.ConfigFrom as { Network?: string }).Network)) {
      throw new InvalidArgumentError('config-only networks are not supported');
    }
    if (body.Ingress === true) throw new ForbiddenError('ingress networks are only for swarm mode');
    const ipamDriver = str(body.IPAM?.Driver, 'IPAM.Driver');
    if (ipamDriver && ipamDriver !== 'default') throw new NotFoundError(`plugin "${ipamDriver}" not found`);
    const req = ipamRequest(body.IPAM?.Config);
    if (why !== undefined) throw new NotImplementedError(why);
    const driver = this.deps.drivers.get(driverName);
    const info = await driver.createNetwork({
      name, internal: body.Internal === true, labels: strMap(body.Labels, 'Labels'), enableIPv6: body.EnableIPv6 === true,
      options: strMap(body.Options, 'Options'), allowDuplicateName: !unique, ...req,
    });
    this.deps.events.publish('network', 'create', info.id, { name: info.name, type: info.driver });
    const first = sameName[0];
    return { Id: info.id, Warning: first ? `Network with name ${name} (id : ${first.id}) already exists` : '' };
  }

  async remove(ref: string): Promise<void> {
    const r = this.resolve(ref, 'remove');
    if (r.kind === 'predefined') throw new ForbiddenError(`${r.p.name} is a pre-defined network and cannot be removed`);
    if (r.info.isDefault) throw new ForbiddenError(`${r.info.name} is a pre-defined network and cannot be removed`);
    const users = this.deps.containers.networkAttachments(r.info.id);
    if (users.length) {
      throw new ForbiddenError(`error while removing network: network ${r.info.name} id ${r.info.id} has active endpoints (${users.map((u) => `name:"${u.name}" id:"${u.id.slice(0, 12)}"`).join(', ')})`);
    }
    await this.owner(r.info).removeNetwork(r.info.id);
    this.deps.events.publish('network', 'destroy', r.info.id, { name: r.info.name, type: r.info.driver });
  }

  /** Removes user-defined networks no running container uses. Filters: until, label, label!. */
  async prune(filters: Record<string, string[]> = {}): Promise<{ NetworksDeleted: string[] | null }> {
    const cutoff = pruneUntil(filters.until);
    const deleted: string[] = [];
    for (const info of this.networks()) {
      if (info.isDefault) continue;
      if (cutoff !== undefined && keptByUntil(info.created, cutoff)) continue;
      if (!pruneLabelsMatch(filters, info.labels)) continue;
      if (this.deps.containers.networkAttachments(info.id).length) continue;
      try {
        await this.owner(info).removeNetwork(info.id);
      } catch (err) {
        // In use by a container that started meanwhile (403 active endpoints) is expected; any
        // other failure keeps the network too, and is logged (docker logs it and goes on).
        if (!(err instanceof ForbiddenError)) this.deps.logger?.warn(`network prune: cannot remove network ${info.name} (${info.id}): ${(err as Error).message}`);
        continue;
      }
      this.deps.events.publish('network', 'destroy', info.id, { name: info.name, type: info.driver });
      deleted.push(info.name);
    }
    this.deps.events.publish('network', 'prune', '', { reclaimed: '0' });
    return { NetworksDeleted: deleted.length ? deleted : null };
  }

  async connect(ref: string, container: string, settings: unknown = {}): Promise<void> {
    if (!container) throw new InvalidArgumentError('no container specified');
    const r = this.resolve(ref);
    if (r.kind === 'predefined') {
      if (r.p.name === 'host') throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
      throw new InvalidArgumentError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    }
    await this.deps.containers.connectNetwork(container, r.info.id, endpointRequest(settings));
  }

  async disconnect(ref: string, container: string, force = false): Promise<void> {
    if (!container) throw new InvalidArgumentError('no container specified');
    const r = this.resolve(ref);
    if (r.kind === 'predefined') {
      if (r.p.name === 'host') throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
      throw new InvalidArgumentError(`container ${container} is not connected to network ${r.p.name}`);
    }
    await this.deps.containers.disconnectNetwork(container, r.info.id, force);
  }
}
