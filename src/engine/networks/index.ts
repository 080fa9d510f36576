/**
 * The networks service (engine): `docker network ls/inspect/create/rm/prune/connect/
 * disconnect` on top of the network driver (bridge networks) plus docker's built-in `host`
 * and `none` networks. Containers join and leave through the containers service, which owns
 * the container records (their Endpoints and the networks they rejoin at each start).
 */
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError, NotImplementedError } from '../../common/errors.ts';
import { keptByUntil, pruneUntil } from '../../api/types/docker-time.ts';
import type { NetworkDriver, NetworkInfo } from '../../drivers/network/contract.ts';
import type { EventBus } from '../events/index.ts';
import type { AttachRequest, EndpointRecord } from '../containers/index.ts';
import { bridgeView, filterNetworks, labelsMatch, PREDEFINED, predefinedId, predefinedView, type NetworkView, type Predefined } from './view.ts';

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
  /** Absent when the daemon runs without bridge networking (`--iptables=false`). */
  driver?: NetworkDriver;
  containers: NetworkContainers;
  events: EventBus;
}

/** `POST /networks/create` body (the fields this engine reads). */
export interface NetworkCreateRequest {
  Name?: unknown;
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

export interface EndpointSettings {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
  MacAddress?: string;
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

export class NetworksService {
  constructor(private readonly deps: NetworksDeps) {}

  private created(): string {
    return this.deps.driver?.listNetworks().find((n) => n.isDefault)?.created ?? '0001-01-01T00:00:00Z';
  }

  /** docker's lookup: full id, exact name, then a unique id prefix. */
  private resolve(ref: string): Resolved {
    const all = this.all();
    const id = (r: Resolved) => (r.kind === 'bridge' ? r.info.id : predefinedId(r.p.name));
    const name = (r: Resolved) => (r.kind === 'bridge' ? r.info.name : r.p.name);
    const exact = all.find((r) => id(r) === ref) ?? all.find((r) => name(r) === ref);
    if (exact) return exact;
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
        v.Containers[c.id] = { Name: c.name, EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: `${ep.IPAddress}/${ep.IPPrefixLen}`, IPv6Address: '' };
      }
    }
    return v;
  }

  private all(): Resolved[] {
    const bridges: Resolved[] = (this.deps.driver?.listNetworks() ?? []).map((info) => ({ kind: 'bridge', info }));
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
    return this.view(this.resolve(ref), true);
  }

  async create(body: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    const name = str(body.Name, 'Name');
    if (!name) throw new InvalidArgumentError('network name is required');
    const driverName = str(body.Driver, 'Driver') || 'bridge';
    if (PREDEFINED.some((p) => p.name === name) || this.deps.driver?.getNetwork(name)?.name === name) {
      throw new ConflictError(`network with name ${name} already exists`);
    }
    if (driverName === 'host' || driverName === 'null') throw new ForbiddenError(`only one instance of "${driverName}" network is allowed`);
    if (driverName !== 'bridge') throw new NotFoundError(`plugin "${driverName}" not found`);
    if (body.ConfigOnly === true || (body.ConfigFrom && typeof body.ConfigFrom === 'object' && (body.ConfigFrom as { Network?: string }).Network)) {
      throw new InvalidArgumentError('config-only networks are not supported');
    }
    if (body.EnableIPv6 === true) throw new InvalidArgumentError('IPv6 networks are not supported by this daemon');
    if (body.Ingress === true) throw new ForbiddenError('ingress networks are only for swarm mode');
    const ipamDriver = str(body.IPAM?.Driver, 'IPAM.Driver');
    if (ipamDriver && ipamDriver !== 'default') throw new NotFoundError(`plugin "${ipamDriver}" not found`);
    const configs = body.IPAM?.Config ?? [];
    if (!Array.isArray(configs)) throw new InvalidArgumentError('json: cannot unmarshal IPAM.Config');
    const v4 = (configs as { Subnet?: unknown; Gateway?: unknown; IPRange?: unknown }[]).filter((c) => !String(c?.Subnet ?? '').includes(':'));
    if (v4.length < configs.length) throw new InvalidArgumentError('IPv6 subnets are not supported by this daemon');
    if (v4.length > 1) throw new InvalidArgumentError('only one IPv4 subnet per network is supported');
    const cfg = v4[0] ?? {};
    const subnet = str(cfg.Subnet, 'Subnet');
    const gateway = str(cfg.Gateway, 'Gateway');
    if (subnet && !isCidr4(subnet)) throw new InvalidArgumentError(`invalid CIDR address: ${subnet}`);
    if (gateway && !isIp4(gateway)) throw new InvalidArgumentError(`invalid gateway address ${gateway} in ipam configuration`);
    if (gateway && !subnet) throw new InvalidArgumentError(`ipam config has gateway ${gateway} without a subnet`);
    if (str(cfg.IPRange, 'IPRange') && str(cfg.IPRange, 'IPRange') !== subnet) throw new InvalidArgumentError('--ip-range is not supported by this daemon');
    const driver = this.deps.driver;
    if (!driver) throw new NotImplementedError('bridge networking is not available in this daemon (started with --iptables=false or without a usable bridge)');
    const info = await driver.createNetwork({
      name, subnet: subnet || undefined, gateway: gateway || undefined, internal: body.Internal === true, labels: strMap(body.Labels, 'Labels'),
    });
    this.deps.events.publish('network', 'create', info.id, { name: info.name, type: info.driver });
    return { Id: info.id, Warning: '' };
  }

  async remove(ref: string): Promise<void> {
    const r = this.resolve(ref);
    if (r.kind === 'predefined') throw new ForbiddenError(`${r.p.name} is a pre-defined network and cannot be removed`);
    if (r.info.isDefault) throw new ForbiddenError(`${r.info.name} is a pre-defined network and cannot be removed`);
    const users = this.deps.containers.networkAttachments(r.info.id);
    if (users.length) {
      throw new ForbiddenError(`error while removing network: network ${r.info.name} id ${r.info.id} has active endpoints (${users.map((u) => `name:"${u.name}" id:"${u.id.slice(0, 12)}"`).join(', ')})`);
    }
    await this.deps.driver!.removeNetwork(r.info.id);
    this.deps.events.publish('network', 'destroy', r.info.id, { name: r.info.name, type: r.info.driver });
  }

  /** Removes user-defined networks no running container uses. Filters: until, label, label!. */
  async prune(filters: Record<string, string[]> = {}): Promise<{ NetworksDeleted: string[] | null }> {
    const cutoff = pruneUntil(filters.until);
    const deleted: string[] = [];
    for (const info of this.deps.driver?.listNetworks() ?? []) {
      if (info.isDefault) continue;
      if (cutoff !== undefined && keptByUntil(info.created, cutoff)) continue;
      if (filters.label?.length && !labelsMatch(filters.label, info.labels)) continue;
      if (filters['label!']?.length && filters['label!'].some((l) => labelsMatch([l], info.labels))) continue;
      if (this.deps.containers.networkAttachments(info.id).length) continue;
      try {
        await this.deps.driver!.removeNetwork(info.id);
      } catch {
        continue; // in use by a container that started meanwhile
      }
      this.deps.events.publish('network', 'destroy', info.id, { name: info.name, type: info.driver });
      deleted.push(info.name);
    }
    this.deps.events.publish('network', 'prune', '', { reclaimed: '0' });
    return { NetworksDeleted: deleted.length ? deleted : null };
  }

  async connect(ref: string, container: string, settings: EndpointSettings = {}): Promise<void> {
    if (!container) throw new InvalidArgumentError('no container specified');
    const r = this.resolve(ref);
    if (r.kind === 'predefined') {
      if (r.p.name === 'host') throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
      throw new InvalidArgumentError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    }
    if (settings.IPAMConfig?.IPv6Address) throw new InvalidArgumentError('IPv6 addresses are not supported by this daemon');
    await this.deps.containers.connectNetwork(container, r.info.id, {
      aliases: (settings.Aliases ?? []).filter(Boolean), ip: settings.IPAMConfig?.IPv4Address || undefined, mac: settings.MacAddress || undefined,
    });
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
