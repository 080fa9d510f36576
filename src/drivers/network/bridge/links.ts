/**
 * Link-level plumbing, one spawn per endpoint:
 *   1. inside the netns (`nsenter … ip -batch`): create the veth with its container end there
 *      (eth0, eth1, …) and its host end moved straight to the daemon's netns, address, up,
 *      default route;
 *   2. on the host, in-process (native.ts): enslave the host end to the bridge, up, hairpin on
 *      (a second `ip -batch` when koffi is unavailable).
 * Plus the bridge device itself and the few sysctls the driver needs.
 */
import fs from 'node:fs';
import { ipBatch, ipBatchIn, run } from './exec.ts';
import { enslaveAndUp, nativeAvailable } from './native.ts';
import { onlyErrno } from '../../../common/cleanups.ts';

export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

export function writeSysctl(key: string, value: string): void {
  fs.writeFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, value);
}

/**
 * Creates the bridge if missing, gives it `gatewayCidr` (e.g. 172.18.0.1/16) and, for an
 * IPv6-enabled network, `extra.gateway6` (no DAD: the address is ours by construction), sets
 * `extra.mtu`, brings it up.
 */
export async function ensureBridge(name: string, gatewayCidr: string, routeLocalnet: boolean, extra: { mtu?: number; gateway6?: string } = {}): Promise<void> {
  const lines: string[] = [];
  const fresh = !linkExists(name);
  if (fresh) lines.push(`link add ${name}${extra.mtu ? ` mtu ${extra.mtu}` : ''} type bridge`);
  const addrs = fresh ? '' : await run('ip', ['-o', 'addr', 'show', 'dev', name]);
  if (!addrs.includes(` ${gatewayCidr} `)) lines.push(`addr add ${gatewayCidr} dev ${name}`);
  if (extra.gateway6) {
    writeSysctlIfPresent(`net.ipv6.conf.${name}.disable_ipv6`, '0');
    if (!addrs.includes(` ${extra.gateway6} `)) lines.push(`addr add ${extra.gateway6} dev ${name} nodad`);
  }
  lines.push(`link set ${name} up`);
  if (fresh && extra.gateway6) {
    // the sysctl path exists only once the device does
    await ipBatch([lines[0]!]);
    writeSysctlIfPresent(`net.ipv6.conf.${name}.disable_ipv6`, '0');
    await ipBatch(lines.slice(1));
  } else {
    await ipBatch(lines);
  }
  if (routeLocalnet) writeSysctl(`net.ipv4.conf.${name}.route_localnet`, '1');
}

function writeSysctlIfPresent(key: string, value: string): void {
  try {
    writeSysctl(key, value);
  } catch (err) { onlyErrno(err, 'ENOENT'); /* IPv6 off in this kernel: the address add reports it */ }
}

/** Deletes a link; one that is already gone (or goes meanwhile, e.g. with its netns) is no failure. */
export async function deleteLink(name: string): Promise<void> {
  if (!linkExists(name)) return;
  try {
    await run('ip', ['link', 'del', name]);
  } catch (err) {
    if (linkExists(name)) throw err;
  }
}

export interface VethSpec {
  nsPath: string;
  ifname: string;
  hostVeth: string;
  mac: string;
  /** a.b.c.d/len */
  addressCidr: string;
  /** Default route via this gateway (first non-internal network only). */
  defaultGateway?: string;
  bridge: string;
  /** Install the embedded-DNS redirect in the same spawn (first user-defined network). */
  dns?: DnsRedirect;
  mtu?: number;
  /** IPv6 address as addr/len (IPv6-enabled networks). */
  address6Cidr?: string;
  /** Default IPv6 route via this gateway. */
  defaultGateway6?: string;
  /** Extra link-local addresses: 169.254.x.y gets /16, fe80::… /64 (as docker). */
  linkLocalIps?: string[];
}

/**
 * Creates and configures one endpoint: one spawn inside the netns (`ip -batch`, plus the DNS
 * redirect's iptables-restore when asked), then the host end is enslaved and set up in-process
 * (or with a second `ip -batch` without koffi). On failure removes what it made.
 */
export async function createVeth(v: VethSpec): Promise<void> {
  const mtu = v.mtu ? ` mtu ${v.mtu}` : '';
  const ns = [
    `link add ${v.ifname}${mtu} address ${v.mac} type veth peer name ${v.hostVeth}${mtu} netns /proc/${process.pid}/ns/net`,
    `addr add ${v.addressCidr} dev ${v.ifname}`,
  ];
  if (v.address6Cidr) ns.push(`addr add ${v.address6Cidr} dev ${v.ifname} nodad`);
  for (const ll of v.linkLocalIps ?? []) ns.push(`addr add ${ll}/${ll.includes(':') ? 64 : 16} dev ${v.ifname}${ll.includes(':') ? ' nodad' : ''}`);
  ns.push(`link set ${v.ifname} up`);
  if (v.defaultGateway) ns.push(`route replace default via ${v.defaultGateway} dev ${v.ifname}`);
  if (v.defaultGateway6) ns.push(`route replace default via ${v.defaultGateway6} dev ${v.ifname}`);
  try {
    if (v.dns) {
      const script = 'ip -batch - <&3 && echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet && exec iptables-restore --noflush -w';
      await run('nsenter', [`--net=${v.nsPath}`, 'sh', '-c', script], dnsRedirectRules(v.dns), ns.join('\n') + '\n');
    } else {
      await ipBatchIn(v.nsPath, ns);
    }
    if (nativeAvailable()) {
      enslaveAndUp(v.hostVeth, v.bridge);
      fs.writeFileSync(`/sys/class/net/${v.hostVeth}/brport/hairpin_mode`, '1');
    } else {
      await ipBatch([`link set ${v.hostVeth} master ${v.bridge} up`, `link set dev ${v.hostVeth} type bridge_slave hairpin on`]);
    }
  } catch (err) {
    // Undo half a veth: the container end may not exist yet (and goes with the netns anyway).
    await ipBatchIn(v.nsPath, [`link del ${v.ifname}`]).catch(() => undefined);
    // A host end that cannot go is named in the error (the start-up orphan sweep retries it).
    await deleteLink(v.hostVeth).catch((e: Error) => { (err as Error).message += ` (and the host veth ${v.hostVeth} could not be removed: ${e.message})`; });
    throw err;
  }
}

/** Removes an endpoint from a live netns (network disconnect); optionally re-points the default route. */
export async function removeVeth(nsPath: string, ifname: string, newDefault?: { gateway: string; ifname: string }, newDefault6?: { gateway: string; ifname: string }): Promise<void> {
  const lines = [`link del ${ifname}`];
  if (newDefault) lines.push(`route replace default via ${newDefault.gateway} dev ${newDefault.ifname}`);
  if (newDefault6) lines.push(`route replace default via ${newDefault6.gateway} dev ${newDefault6.ifname}`);
  await ipBatchIn(nsPath, lines);
}

/** Host veths enslaved to `bridge` (for orphan cleanup). */
export function bridgePorts(bridge: string): string[] {
  try {
    return fs.readdirSync(`/sys/class/net/${bridge}/brif`);
  } catch {
    return [];
  }
}

/**
 * The in-netns half of the embedded DNS: 127.0.0.11:53 (udp+tcp) → gateway:port, source
 * rewritten to the container address, route_localnet (set by the caller's script) so the
 * kernel routes a 127/8 source out of the interface, and a raw guard dropping 127/8 that
 * arrives from outside.
 */
function dnsRedirectRules(d: DnsRedirect): string {
  return '*raw\n-A PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP\nCOMMIT\n' + dnsNatRules(d, false);
}

export interface DnsRedirect { gateway: string; port: number; containerIp: string }

/** The nat half of the redirect; `flush` first empties the netns' OUTPUT/POSTROUTING (ours alone). */
function dnsNatRules(d: DnsRedirect | undefined, flush: boolean): string {
  let out = '*nat\n';
  if (flush) out += '-F OUTPUT\n-F POSTROUTING\n';
  if (d) {
    out +=
      `-A OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination ${d.gateway}:${d.port}\n` +
      `-A OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination ${d.gateway}:${d.port}\n` +
      `-A POSTROUTING -s 127.0.0.0/8 -d ${d.gateway}/32 -j SNAT --to-source ${d.containerIp}\n`;
  }
  return out + 'COMMIT\n';
}

/**
 * Points the netns' 127.0.0.11 redirect at another endpoint (the one it used left with
 * `network disconnect`), or removes it (`d` undefined: no user network left).
 */
export async function replaceDnsRedirect(nsPath: string, d: DnsRedirect | undefined): Promise<void> {
  await run('nsenter', [`--net=${nsPath}`, 'iptables-restore', '--noflush', '-w'], dnsNatRules(d, true));
}
