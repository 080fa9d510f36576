/**
 * Which proxy a request goes through, with Go's golang.org/x/net/http/httpproxy rules (what
 * dockerd uses): `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones (upper case first,
 * then lower case); a proxy value without a scheme means `http://`. Never proxied:
 * `localhost` and loopback addresses (127.0.0.0/8, ::1), and what `NO_PROXY` names — a
 * comma-separated list of `*` (everything), IP addresses and CIDRs, `host` (that host and its
 * subdomains), `.domain` / `*.domain` (subdomains only), each optionally with `:port`.
 */
import { isIP } from 'node:net';

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/** The settings from an environment (Go's FromEnvironment). */
export function proxyFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '') ?? '';
  return { httpProxy: pick('HTTP_PROXY', 'http_proxy'), httpsProxy: pick('HTTPS_PROXY', 'https_proxy'), noProxy: pick('NO_PROXY', 'no_proxy') };
}

/** A proxy value as a URL (`host:port` → `http://host:port`); throws on garbage. */
export function parseProxyUrl(raw: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch { /* no scheme */ }
  if (!u && /^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new Error(`invalid proxy address ${JSON.stringify(raw)}`);
  if (!u || !['http:', 'https:', 'socks5:', 'socks5h:'].includes(u.protocol) || !u.host) {
    try {
      u = new URL(`http://${raw}`);
    } catch {
      throw new Error(`invalid proxy address ${JSON.stringify(raw)}`);
    }
  }
  if (!u.hostname) throw new Error(`invalid proxy address ${JSON.stringify(raw)}`);
  return u;
}

type Matcher = (host: string, port: string, ip: string | undefined) => boolean;

function ipToBytes(ip: string): number[] | undefined {
  const v = isIP(ip);
  if (v === 4) return ip.split('.').map(Number);
  if (v !== 6) return undefined;
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: number[] = [];
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  const bytes = groups.flatMap((g) => { const n = parseInt(g || '0', 16); return [n >> 8, n & 255]; });
  if (v4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Go's To16 view: an IPv4 address and its ::ffff: form compare equal. */
function canonicalBytes(ip: string): number[] | undefined {
  const b = ipToBytes(ip);
  if (!b) return undefined;
  return b.length === 4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...b] : b;
}

function inNet(ip: number[], net: number[], bits: number): boolean {
  for (let i = 0; i < 16; i++) {
    const m = bits >= 8 ? 255 : bits <= 0 ? 0 : (0xff << (8 - bits)) & 255;
    if ((ip[i]! & m) !== (net[i]! & m)) return false;
    bits -= 8;
  }
  return true;
}

function isLoopback(ip: string): boolean {
  const b = canonicalBytes(ip)!;
  const v4mapped = b.slice(0, 12).every((x, i) => x === (i >= 10 ? 255 : 0));
  if (v4mapped) return b[12] === 127;
  return b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}

function splitHostPort(s: string): { host: string; port: string } | undefined {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return undefined;
    const rest = s.slice(end + 1);
    if (rest === '') return undefined;
    if (!rest.startsWith(':')) return undefined;
    return { host: s.slice(1, end), port: rest.slice(1) };
  }
  const i = s.lastIndexOf(':');
  if (i < 0 || s.indexOf(':') !== i) return undefined;
  return { host: s.slice(0, i), port: s.slice(i + 1) };
}

function compileNoProxy(noProxy: string): Matcher[] {
  const out: Matcher[] = [];
  for (const raw of noProxy.split(',')) {
    const p = raw.trim().toLowerCase();
    if (!p) continue;
    if (p === '*') return [() => true];
    const slash = p.indexOf('/');
    if (slash > 0) {
      const net = canonicalBytes(p.slice(0, slash));
      const bitsRaw = p.slice(slash + 1);
      const bits = Number(bitsRaw);
      if (net && /^\d+$/.test(bitsRaw) && bits <= (isIP(p.slice(0, slash)) === 4 ? 32 : 128)) {
        const b16 = isIP(p.slice(0, slash)) === 4 ? bits + 96 : bits;
        out.push((_h, _p, ip) => ip !== undefined && inNet(canonicalBytes(ip)!, net, b16));
        continue;
      }
    }
    let phost = p;
    let pport = '';
    const hp = splitHostPort(p);
    if (hp) {
      if (!hp.host) continue;
      phost = hp.host;
      pport = hp.port;
    }
    const pip = canonicalBytes(phost);
    if (pip) {
      out.push((_h, port, ip) => ip !== undefined && canonicalBytes(ip)!.every((x, i) => x === pip[i]) && (pport === '' || pport === port));
      continue;
    }
    if (!phost) continue;
    if (phost.startsWith('*.')) phost = phost.slice(1);
    const matchHost = !phost.startsWith('.');
    const suffix = matchHost ? `.${phost}` : phost;
    out.push((host, port) => (host.endsWith(suffix) || (matchHost && host === suffix.slice(1))) && (pport === '' || pport === port));
  }
  return out;
}

/** A compiled proxy choice: `proxyFor(url)` gives the proxy URL or undefined (direct). */
export class ProxyResolver {
  private readonly http?: URL;
  private readonly https?: URL;
  private readonly noProxy: Matcher[];

  constructor(readonly settings: ProxySettings) {
    this.http = settings.httpProxy ? parseProxyUrl(settings.httpProxy) : undefined;
    this.https = settings.httpsProxy ? parseProxyUrl(settings.httpsProxy) : undefined;
    this.noProxy = compileNoProxy(settings.noProxy ?? '');
  }

  get enabled(): boolean {
    return !!(this.http || this.https);
  }

  proxyFor(target: string | URL): URL | undefined {
    const u = typeof target === 'string' ? new URL(target) : target;
    const proxy = u.protocol === 'https:' ? this.https : u.protocol === 'http:' ? this.http : undefined;
    if (!proxy) return undefined;
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return this.useProxy(u.hostname.replace(/^\[|\]$/g, ''), port) ? proxy : undefined;
  }

  /** Go's useProxy on host and port (host without brackets). */
  useProxy(hostIn: string, port: string): boolean {
    const host = hostIn.trim().toLowerCase();
    if (host === 'localhost') return false;
    const ip = isIP(host) ? host : undefined;
    if (ip && isLoopback(ip)) return false;
    for (const m of this.noProxy) if (m(host, port, ip)) return false;
    return true;
  }
}

/** `http://user:xxxxx@host` for display (docker's MaskCredentials). */
export function maskProxyCredentials(raw: string): string {
  if (!raw) return raw;
  try {
    const u = new URL(raw);
    if (!u.username && !u.password) return raw;
    u.username = 'xxxxx';
    u.password = 'xxxxx';
    return u.toString().replace(/\/$/, raw.endsWith('/') ? '/' : '');
  } catch {
    return raw;
  }
}
