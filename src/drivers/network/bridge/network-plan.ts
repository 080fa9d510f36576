/**
 * `network create` for the bridge driver, before anything is made: driver options
 * (BRIDGE_OPTS) and the IPAM request (subnet, IP range, gateway, reserved addresses; IPv4 and
 * IPv6) checked with docker's rules and turned into the fields of a NetworkRecord. The IPv4
 * subnet may still be missing here (picked from the default pools by the driver).
 */
import { InvalidArgumentError } from '../../../common/errors.ts';
import { BRIDGE_OPTS, type CreateNetworkOptions } from '../contract.ts';
import * as ipam from './ipam.ts';
import * as ipam6 from './ipam6.ts';

export interface NetworkPlan {
  /** Absent: pick a free default pool. */
  subnet?: ipam.Cidr;
  gateway?: number;
  ipRange?: string;
  reserved: string[];
  enableIPv6: boolean;
  subnet6?: ipam6.Cidr6;
  gateway6?: string;
  ipRange6?: string;
  reserved6: string[];
  bridgeName?: string;
  mtu?: number;
  icc: boolean;
  masquerade: boolean;
  hostBinding?: string;
}

/** Go's strconv.ParseBool. */
function parseBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new InvalidArgumentError(`failed to parse ${key} value: ${v} (strconv.ParseBool: parsing "${v}": invalid syntax)`);
}

function driverOptions(opts: Record<string, string>): Pick<NetworkPlan, 'bridgeName' | 'mtu' | 'icc' | 'masquerade' | 'hostBinding'> {
  const out: ReturnType<typeof driverOptions> = { icc: true, masquerade: true };
  const name = opts[BRIDGE_OPTS.name];
  if (name !== undefined && name !== '') {
    // a Linux interface name: 1–15 bytes, no '/', ':' or whitespace
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') throw new InvalidArgumentError(`invalid bridge name "${name}": at most 15 letters, digits, '_', '.' or '-'`);
    out.bridgeName = name;
  }
  const mtu = opts[BRIDGE_OPTS.mtu];
  if (mtu !== undefined && mtu !== '') {
    if (!/^-?\d+$/.test(mtu)) throw new InvalidArgumentError(`failed to parse ${BRIDGE_OPTS.mtu} value: ${mtu} (strconv.Atoi: parsing "${mtu}": invalid syntax)`);
    const n = Number(mtu);
    if (n !== 0 && (n < 68 || n > 65535)) throw new InvalidArgumentError(`invalid MTU number: ${mtu}`);
    if (n) out.mtu = n;
  }
  if (opts[BRIDGE_OPTS.icc] !== undefined) out.icc = parseBool(BRIDGE_OPTS.icc, opts[BRIDGE_OPTS.icc]!);
  if (opts[BRIDGE_OPTS.masquerade] !== undefined) out.masquerade = parseBool(BRIDGE_OPTS.masquerade, opts[BRIDGE_OPTS.masquerade]!);
  const hb = opts[BRIDGE_OPTS.hostBinding];
  if (hb !== undefined && hb !== '') {
    ipam.ipToInt(hb);
    out.hostBinding = hb;
  }
  return out;
}

function subPool(subnetText: string, range: string, v6: boolean): void {
  const bad = () => new InvalidArgumentError(`failed to parse pool request for address space "LocalDefault" pool "${subnetText}" subpool "${range}": Invalid Address SubPool`);
  try {
    if (v6) {
      const s = ipam6.parseCidr6(subnetText);
      const r = ipam6.parseCidr6(range);
      if (r.prefixLen < s.prefixLen || !ipam6.contains6(s, r.base)) throw bad();
    } else {
      const s = ipam.parseCidr(subnetText);
      const r = ipam.parseCidr(range);
      if (r.prefixLen < s.prefixLen || !ipam.contains(s, r.base)) throw bad();
    }
  } catch {
    throw bad();
  }
}

export function planNetwork(o: CreateNetworkOptions): NetworkPlan {
  const plan: NetworkPlan = { reserved: [], reserved6: [], enableIPv6: !!o.enableIPv6, ...driverOptions(o.options ?? {}) };
  if (o.subnet) {
    plan.subnet = ipam.parseCidr(o.subnet);
    if (o.ipRange) {
      subPool(o.subnet, o.ipRange, false);
      plan.ipRange = ipam.formatCidr(ipam.parseCidr(o.ipRange));
    }
    if (o.gateway) {
      plan.gateway = ipam.ipToInt(o.gateway);
      if (!ipam.contains(plan.subnet, plan.gateway)) throw new InvalidArgumentError(`failed to allocate gateway (${o.gateway}): Requested address is out of range`);
    }
    for (const a of o.reserved ?? []) {
      if (!ipam.contains(plan.subnet, ipam.ipToInt(a))) throw new InvalidArgumentError(`failed to allocate secondary ip address (${a}): Requested address is out of range`);
      plan.reserved.push(ipam.intToIp(ipam.ipToInt(a)));
    }
  }
  if (o.subnet6) {
    plan.subnet6 = ipam6.parseCidr6(o.subnet6);
    if (o.ipRange6) {
      subPool(o.subnet6, o.ipRange6, true);
      plan.ipRange6 = ipam6.formatCidr6(ipam6.parseCidr6(o.ipRange6));
    }
    const gw = o.gateway6 ? ipam6.ip6ToBig(o.gateway6) : plan.subnet6.base + 1n;
    if (!ipam6.contains6(plan.subnet6, gw)) throw new InvalidArgumentError(`failed to allocate gateway (${o.gateway6}): Requested address is out of range`);
    plan.gateway6 = ipam6.bigToIp6(gw);
    for (const a of o.reserved6 ?? []) {
      if (!ipam6.contains6(plan.subnet6, ipam6.ip6ToBig(a))) throw new InvalidArgumentError(`failed to allocate secondary ip address (${a}): Requested address is out of range`);
      plan.reserved6.push(ipam6.bigToIp6(ipam6.ip6ToBig(a)));
    }
  }
  if (plan.enableIPv6 && !plan.subnet6) throw new InvalidArgumentError('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
  return plan;
}

/** `--link-local-ip`: IPv4 in 169.254.0.0/16 or IPv6 in fe80::/10, docker's message. */
export function checkLinkLocal(ips: string[]): string[] {
  return ips.map((a) => {
    if (ipam6.isIp6(a)) {
      const v = ipam6.ip6ToBig(a);
      if (v >> 118n !== 0x3fan) throw new InvalidArgumentError(`invalid link local IP address: ${a}`);
      return ipam6.bigToIp6(v);
    }
    const v = ipam.ipToInt(a);
    if (v >>> 16 !== 0xa9fe) throw new InvalidArgumentError(`invalid link local IP address: ${a}`);
    return a;
  });
}
