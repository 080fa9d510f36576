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

export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

export function writeSysctl(key: string, value: string): void {
  fs.writeFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, value);
}

/** Creates the bridge if missing, gives it `gatewayCidr` (e.g. 172.18.0.1/16), brings it up. */
export async function ensureBridge(name: string, gatewayCidr: string, routeLocalnet: boolean): Promise<void> {
  const lines: string[] = [];
  if (!linkExists(name)) lines.push(`link add ${name} type bridge`);
  else {
    const addrs = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', name]);
    if (addrs.includes(` ${gatewayCidr} `)) {
      lines.push(`link set ${name} up`);
      await ipBatch(lines);
      if (routeLocalnet) writeSysctl(`net.ipv4.conf.${name}.route_localnet`, '1');
      return;
    }
  }
  lines.push(`addr add ${gatewayCidr} dev ${name}`, `link set ${name} up`);
  await ipBatch(lines);
  if (routeLocalnet) writeSysctl(`net.ipv4.conf.${name}.route_localnet`, '1');
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
  dns?: { gateway: string; port: number; containerIp: string };
}

/**
 * Creates and configures one endpoint: one spawn inside the netns (`ip -batch`, plus the DNS
 * redirect's iptables-restore when asked), then the host end is enslaved and set up in-process
 * (or with a second `ip -batch` without koffi). On failure removes what it made.
 */
export async function createVeth(v: VethSpec): Promise<void> {
  const ns = [
    `link add ${v.ifname} address ${v.mac} type veth peer name ${v.hostVeth} netns /proc/${process.pid}/ns/net`,
    `addr add ${v.addressCidr} dev ${v.ifname}`,
    `link set ${v.ifname} up`,
  ];
  if (v.defaultGateway) ns.push(`route replace default via ${v.defaultGateway} dev ${v.ifname}`);
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
export async function removeVeth(nsPath: string, ifname: string, newDefault?: { gateway: string; ifname: string }): Promise<void> {
  const lines = [`link del ${ifname}`];
  if (newDefault) lines.push(`route replace default via ${newDefault.gateway} dev ${newDefault.ifname}`);
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
function dnsRedirectRules(d: { gateway: string; port: number; containerIp: string }): string {
  return (
    '*raw\n' +
    '-A PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP\n' +
    'COMMIT\n*nat\n' +
    `-A OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination ${d.gateway}:${d.port}\n` +
    `-A OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination ${d.gateway}:${d.port}\n` +
    `-A POSTROUTING -s 127.0.0.0/8 -d ${d.gateway}/32 -j SNAT --to-source ${d.containerIp}\n` +
    'COMMIT\n'
  );
}
