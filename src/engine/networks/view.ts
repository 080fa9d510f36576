/**
 * What `docker network ls` / `network inspect` see: docker's Network JSON for the bridge
 * driver's networks and for the built-in `host` and `none` networks, and the `network ls`
 * filters (driver, id, label, name, scope, type, dangling).
 */
import crypto from 'node:crypto';
import { InvalidArgumentError } from '../../common/errors.ts';
import type { IpamPool, NetworkInfo } from '../../drivers/network/contract.ts';
import { labelsMatch } from '../../api/types/labels.ts';

export interface NetworkContainerView { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }

export interface NetworkView {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IpamPool[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainerView>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** docker's networks that exist without a driver: `host` and `none` (driver `null`). */
export const PREDEFINED = [
  { name: 'host', driver: 'host' },
  { name: 'none', driver: 'null' },
] as const;

export type Predefined = (typeof PREDEFINED)[number];

/** Stable across restarts and daemons: sha256 of the name. */
export function predefinedId(name: string): string {
  return crypto.createHash('sha256').update(`wharf-predefined-network:${name}`).digest('hex');
}

export function predefinedView(p: Predefined, created: string): NetworkView {
  return {
    Name: p.name, Id: predefinedId(p.name), Created: created, Scope: 'local', Driver: p.driver, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
  };
}

export function bridgeView(n: NetworkInfo): NetworkView {
  const options: Record<string, string> = n.isDefault
    ? {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': n.bridge,
        'com.docker.network.driver.mtu': '1500',
      }
    : { ...(n.options ?? {}) };
  return {
    Name: n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: n.driver, EnableIPv6: !!n.enableIPv6,
    IPAM: { Driver: 'default', Options: null, Config: ipamConfig(n) },
    Internal: n.internal, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: {}, Options: options, Labels: { ...n.labels },
  };
}

/**
 * docker's IPAM.Config: the pools as the client gave them (subnet text untouched, no gateway
 * unless given), with the picked IPv4 pool first when the client gave none.
 */
function ipamConfig(n: NetworkInfo): IpamPool[] {
  const given = (n.ipamPools ?? []).map((p) => ({ ...p }));
  const hasV4 = given.some((p) => p.Subnet && !p.Subnet.includes(':'));
  return hasV4 ? given : [{ Subnet: n.subnet, Gateway: n.gateway }, ...given];
}

export const LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;

/** docker's filter value match: exact, else the value as a regular expression (partial). */
function matches(pattern: string, value: string): boolean {
  if (pattern === value) return true;
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return value.includes(pattern);
  }
}

function boolFilter(key: string, values: string[]): boolean | undefined {
  if (!values.length) return undefined;
  const v = values[values.length - 1]!.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${values[values.length - 1]}'`);
}

/** Validates the values the key check could not (type, scope, dangling) and filters. */
export function filterNetworks(all: NetworkView[], f: Record<string, string[]>, inUse: (v: NetworkView) => boolean): NetworkView[] {
  for (const t of f.type ?? []) if (t !== 'custom' && t !== 'builtin') throw new InvalidArgumentError(`invalid filter: 'type'='${t}'`);
  for (const s of f.scope ?? []) if (!['local', 'swarm', 'global'].includes(s)) throw new InvalidArgumentError(`invalid filter: 'scope'='${s}'`);
  const dangling = boolFilter('dangling', f.dangling ?? []);
  return all.filter((v) => {
    const builtin = v.Name === 'bridge' || v.Name === 'host' || v.Name === 'none';
    if (f.driver?.length && !f.driver.some((d) => matches(d, v.Driver))) return false;
    if (f.id?.length && !f.id.some((d) => v.Id.startsWith(d) || matches(d, v.Id))) return false;
    if (f.name?.length && !f.name.some((d) => matches(d, v.Name))) return false;
    if (f.label?.length && !labelsMatch(f.label, v.Labels)) return false;
    if (f.scope?.length && !f.scope.includes('local')) return false;
    if (f.type?.length && !f.type.includes(builtin ? 'builtin' : 'custom')) return false;
    if (dangling !== undefined && (builtin || inUse(v)) === dangling) return false;
    return true;
  });
}
