/**
 * A container's network at start and stop: host / none / container:X / bridge networks
 * through the network driver, published ports, and the /etc/{hosts,hostname,resolv.conf}
 * files the container gets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.ts';
import type { PortRequest } from '../../drivers/network/contract.ts';
import type { ContainerRecord, PortBinding } from './record.ts';
import type { ContainerRegistry, Live } from './service.ts';

export type NetMode = 'none' | 'host' | { path: string };

function writeAtomic(file: string, text: string): void {
  fs.writeFileSync(file + '.tmp', text);
  fs.renameSync(file + '.tmp', file);
}

/** Files for host/none/container: modes (no driver involved). */
export function writeStandaloneFiles(dir: string, rec: ContainerRecord): void {
  const host = rec.HostConfig.NetworkMode === 'host';
  const hostname = host ? os.hostname() : rec.Config.Hostname;
  writeAtomic(path.join(dir, 'hostname'), hostname + '\n');
  let hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
  if (host) { try { hosts = fs.readFileSync('/etc/hosts', 'utf8'); } catch { /* keep default */ } }
  else hosts += `127.0.1.1\t${hostname}\n`;
  for (const h of rec.HostConfig.ExtraHosts ?? []) {
    const i = h.indexOf(':');
    hosts += `${h.slice(i + 1)}\t${h.slice(0, i)}\n`;
  }
  writeAtomic(path.join(dir, 'hosts'), hosts);
  let resolv = '';
  try { resolv = fs.readFileSync('/etc/resolv.conf', 'utf8'); } catch { /* none */ }
  if (!host) resolv = resolv.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l)).join('\n');
  const hc = rec.HostConfig;
  if (hc.Dns.length) resolv = resolv.split('\n').filter((l) => !/^\s*nameserver/.test(l)).join('\n') + hc.Dns.map((d) => `\nnameserver ${d}`).join('');
  if (hc.DnsSearch.length) resolv = resolv.split('\n').filter((l) => !/^\s*search/.test(l)).join('\n') + `\nsearch ${hc.DnsSearch.join(' ')}`;
  writeAtomic(path.join(dir, 'resolv.conf'), resolv.trim() + '\n');
}

function networkNames(rec: ContainerRecord): string[] {
  const mode = rec.HostConfig.NetworkMode;
  const req = (rec as ContainerRecord & { NetworkingRequest?: Record<string, unknown> }).NetworkingRequest ?? {};
  const first = mode === 'default' ? 'bridge' : mode;
  return [first, ...Object.keys(req).filter((n) => n !== first && n !== mode)];
}

/** Ports to publish: PortBindings, plus every exposed port with -P. */
export function portRequests(rec: ContainerRecord): PortRequest[] {
  const out: PortRequest[] = [];
  const seen = new Set<string>();
  for (const [key, binds] of Object.entries(rec.HostConfig.PortBindings ?? {})) {
    const [port, proto = 'tcp'] = key.split('/') as [string, string?];
    for (const b of binds ?? [{ HostIp: '', HostPort: '' }]) {
      const [lo, hi] = port.split('-').map(Number) as [number, number?];
      const [hlo, hhi] = (b.HostPort || '0').split('-').map(Number) as [number, number?];
      for (let p = lo, i = 0; p <= (hi ?? lo); p++, i++) {
        const hostPort = hhi !== undefined && hi !== undefined ? hlo + i : hhi !== undefined ? hlo : hlo;
        out.push({ hostIp: b.HostIp ?? '', hostPort, containerPort: p, proto: proto === 'udp' ? 'udp' : 'tcp' });
        seen.add(`${p}/${proto}`);
      }
    }
  }
  if (rec.HostConfig.PublishAllPorts) {
    for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) {
      const [port, proto = 'tcp'] = key.split('/') as [string, string?];
      if (seen.has(`${port}/${proto}`)) continue;
      out.push({ hostIp: '', hostPort: 0, containerPort: Number(port), proto: proto === 'udp' ? 'udp' : 'tcp' });
    }
  }
  return out;
}

export async function connectNetworks(reg: ContainerRegistry, l: Live): Promise<{ mode: NetMode; files: boolean }> {
  const rec = l.rec;
  const mode = rec.HostConfig.NetworkMode;
  rec.Endpoints = {};
  rec.Ports = {};
  if (mode === 'none') return { mode: 'none', files: false };
  if (mode === 'host') return { mode: 'host', files: false };
  if (mode.startsWith('container:')) {
    const other = reg.find(mode.slice(10));
    if (!other) throw new NotFoundError(`No such container: ${mode.slice(10)}`);
    if (!other.rec.State.Running || !other.rec.State.Pid) throw new InvalidArgumentError(`cannot join network of a non running container: ${other.rec.Id}`);
    const dir = reg.containerDir(rec.Id);
    for (const f of ['hosts', 'resolv.conf']) fs.copyFileSync(path.join(reg.containerDir(other.rec.Id), f), path.join(dir, f));
    writeAtomic(path.join(dir, 'hostname'), other.rec.Config.Hostname + '\n');
    return { mode: { path: other.rec.SandboxKey || `/proc/${other.rec.State.Pid}/ns/net` }, files: true };
  }
  const net = reg.deps.network;
  if (!net) {
    // No network driver (e.g. iptables unavailable): behave like --network none.
    return { mode: 'none', files: false };
  }
  const names = networkNames(rec);
  for (const n of names) if (!net.getNetwork(n)) throw new NotFoundError(`network ${n} not found`);
  const { nsPath } = await net.createSandbox(rec.Id);
  rec.SandboxKey = nsPath;
  const req = (rec as ContainerRecord & { NetworkingRequest?: Record<string, { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string }; MacAddress?: string }> }).NetworkingRequest ?? {};
  try {
    for (const n of names) {
      const info = net.getNetwork(n)!;
      const r = req[n] ?? req[info.name] ?? {};
      const aliases = info.isDefault ? [] : [rec.Name.slice(1), rec.Id.slice(0, 12), ...(r.Aliases ?? [])];
      const ep = await net.connect(rec.Id, info.id, { ip: r.IPAMConfig?.IPv4Address || undefined, mac: r.MacAddress || rec.Config.MacAddress || undefined, aliases });
      rec.Endpoints[info.name] = {
        NetworkID: info.id, EndpointID: `${rec.Id.slice(0, 32)}${info.id.slice(0, 32)}`, Gateway: ep.gateway, IPAddress: ep.ip, IPPrefixLen: ep.prefixLen,
        MacAddress: ep.mac, Aliases: info.isDefault ? null : (r.Aliases ?? null), DNSNames: info.isDefault ? null : aliases, IPAMConfig: r.IPAMConfig ?? null,
      };
    }
    const ports = portRequests(rec);
    for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) rec.Ports[key] = null;
    if (ports.length) {
      const bound = await net.publish(rec.Id, ports);
      for (const b of bound) {
        const key = `${b.containerPort}/${b.proto}`;
        const entry: PortBinding = { HostIp: b.hostIp || '0.0.0.0', HostPort: String(b.hostPort) };
        (rec.Ports[key] ??= []).push(entry);
      }
    }
    const hc = rec.HostConfig;
    const files = net.renderFiles(rec.Id, { hostname: rec.Config.Hostname, domainname: rec.Config.Domainname, dns: hc.Dns.length ? hc.Dns : reg.deps.dns, dnsSearch: hc.DnsSearch, dnsOptions: hc.DnsOptions, extraHosts: hc.ExtraHosts ?? [] });
    const dir = reg.containerDir(rec.Id);
    writeAtomic(path.join(dir, 'hosts'), files.hosts);
    writeAtomic(path.join(dir, 'hostname'), files.hostname);
    writeAtomic(path.join(dir, 'resolv.conf'), files.resolvConf);
  } catch (err) {
    await net.destroySandbox(rec.Id).catch(() => undefined);
    rec.SandboxKey = '';
    rec.Endpoints = {};
    rec.Ports = {};
    throw err;
  }
  return { mode: { path: nsPath }, files: true };
}

export async function disconnectAll(reg: ContainerRegistry, l: Live): Promise<void> {
  const rec = l.rec;
  if (reg.deps.network && rec.SandboxKey) await reg.deps.network.destroySandbox(rec.Id);
  rec.SandboxKey = '';
  for (const ep of Object.values(rec.Endpoints)) { ep.IPAddress = ''; ep.Gateway = ''; ep.IPPrefixLen = 0; ep.MacAddress = ''; ep.EndpointID = ''; }
  rec.Ports = {};
}
