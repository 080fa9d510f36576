/**
 * Endpoint resolution the way docker does it: docker.io is served by registry-1.docker.io
 * with the configured mirrors tried first (pulls only); a registry listed in
 * `insecure-registries` (host, host:port or CIDR) or on 127.0.0.0/8, ::1 or localhost is
 * tried over HTTPS without certificate verification, then over plain HTTP.
 */
import { isIP } from 'node:net';
import type { ProxySettings } from './proxy.ts';
import { dockerHubDomain } from './reference.ts';

export interface RegistryEndpoint {
  /** `https://host[:port]` or `http://…` (a mirror may carry a path prefix). */
  url: string;
  insecureTls: boolean;
  mirror: boolean;
}

export interface EndpointConfig {
  /** docker's `registry-mirrors` (URLs), for docker.io pulls. */
  mirrors?: string[];
  /** docker's `insecure-registries`: `host[:port]` entries or CIDRs. */
  insecureRegistries?: string[];
  /** HTTP(S)_PROXY / NO_PROXY for every request (none: direct). */
  proxy?: ProxySettings;
  /** Mirrors of any registry, by its domain (`registry.k8s.io` → URLs), tried first for pulls: the CRI's per-registry mirrors (containerd's `registry.mirrors`). */
  hostMirrors?: Record<string, string[]>;
}

export const dockerHubRegistryHost = 'registry-1.docker.io';

/** The host docker talks to for a reference domain. */
export function registryHost(domain: string): string {
  return domain === dockerHubDomain || domain === 'index.docker.io' ? dockerHubRegistryHost : domain;
}

function hostOnly(hostport: string): string {
  if (hostport.startsWith('[')) return hostport.slice(1, hostport.indexOf(']'));
  const parts = hostport.split(':');
  return parts.length === 2 ? parts[0] : hostport;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsRaw] = cidr.split('/');
  const bits = Number(bitsRaw);
  if (isIP(ip) !== 4 || isIP(net) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

/** Whether plain HTTP / unverified TLS is allowed for `domain` (host[:port]). */
export function isInsecureRegistry(domain: string, insecureRegistries: string[] = []): boolean {
  const host = hostOnly(domain).toLowerCase();
  if (host === 'localhost' || host === '::1' || inCidr(host, '127.0.0.0/8')) return true;
  for (const entry of insecureRegistries) {
    const e = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '').toLowerCase();
    if (e.includes('/')) {
      if (inCidr(host, e)) return true;
    } else if (e === domain.toLowerCase() || e === host) return true;
  }
  return false;
}

/** Candidate endpoints in the order to try. `push` skips mirrors. */
export function endpointsFor(domain: string, cfg: EndpointConfig = {}, push = false): RegistryEndpoint[] {
  const out: RegistryEndpoint[] = [];
  const hub = registryHost(domain) === dockerHubRegistryHost;
  if (!push) {
    const own = cfg.hostMirrors?.[hub ? dockerHubDomain : domain] ?? [];
    for (const m of [...own, ...(hub ? cfg.mirrors ?? [] : [])]) {
      const u = new URL(/^https?:\/\//.test(m) ? m : `https://${m}`);
      const insecure = isInsecureRegistry(u.host, cfg.insecureRegistries);
      out.push({ url: u.toString().replace(/\/+$/, ''), insecureTls: insecure, mirror: true });
    }
  }
  const host = registryHost(domain);
  const insecure = isInsecureRegistry(host, cfg.insecureRegistries);
  out.push({ url: `https://${host}`, insecureTls: insecure, mirror: false });
  if (insecure) out.push({ url: `http://${host}`, insecureTls: false, mirror: false });
  return out;
}
