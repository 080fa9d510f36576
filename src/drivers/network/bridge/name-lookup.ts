/**
 * What the embedded DNS answers: names (container name, aliases, short id) of the endpoints on
 * the user networks of the asking sandbox, with their IPv4 and IPv6 addresses. A link alias of
 * one of the client's endpoints (`Links: ["name:alias"]` on a user network) stands for that
 * container's name on the endpoint's network, for this client only. Pure over the driver's
 * in-memory records.
 */
import type { Endpoint } from '../contract.ts';
import type { NetworkRecord, SandboxRecord } from './state.ts';

export interface NetworkLookup {
  get(id: string): NetworkRecord | undefined;
}

/** The sandbox with address `ip` on a user-defined network (the embedded DNS's client). */
export function clientSandbox(sandboxes: Iterable<SandboxRecord>, networks: NetworkLookup, ip: string): SandboxRecord | undefined {
  for (const s of sandboxes) {
    if (s.endpoints.some((e) => e.ip === ip && !networks.get(e.networkId)?.isDefault)) return s;
  }
  return undefined;
}

/** Addresses of `name` for the client at `clientIp`; undefined = not ours, forward it. */
export function lookupName(sandboxes: Iterable<SandboxRecord>, networks: NetworkLookup, clientIp: string, name: string): string[] | undefined {
  const all = [...sandboxes];
  const client = clientSandbox(all, networks, clientIp);
  if (!client) return undefined;
  const own = client.endpoints.filter((e: Endpoint) => !networks.get(e.networkId)?.isDefault);
  // only internal networks: resolve local names, never ask the outside world
  const isolated = client.endpoints.every((e) => networks.get(e.networkId)?.internal);
  const ips: string[] = [];
  for (const mine of own) {
    const target = Object.entries(mine.links ?? {}).find(([alias]) => alias.toLowerCase() === name)?.[1];
    const wanted = target ? target.toLowerCase() : name;
    for (const s of all) {
      for (const e of s.endpoints) {
        if (e.networkId !== mine.networkId || !e.aliases.some((a) => a.toLowerCase() === wanted)) continue;
        for (const ip of [e.ip, e.ip6]) if (ip && !ips.includes(ip)) ips.push(ip);
      }
    }
  }
  return ips.length || isolated ? ips : undefined;
}
