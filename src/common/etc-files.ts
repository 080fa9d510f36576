/**
 * The per-container files docker generates: /etc/hosts, /etc/hostname, /etc/resolv.conf.
 * Pure renderers over the host's files' text; the one copy for the network driver's
 * `renderFiles` and the engine's host/none/container: modes (`writeStandaloneFiles`).
 * Rules (moby libnetwork/resolvconf, etchosts):
 *   - default bridge (and none): the host's resolv.conf with loopback nameservers dropped (they
 *     are unreachable from the container); none left → 8.8.8.8 and 8.8.4.4.
 *   - host network: the host's resolv.conf as it is; `--dns*` flags rebuild it with the host's
 *     nameservers, loopback ones included (the container shares the host's).
 *   - user-defined networks: `nameserver 127.0.0.11` (embedded DNS) + `options ndots:0`.
 *   - `--dns` replaces the nameservers (default bridge), `--dns-search` the search list
 *     (`.` alone = none), `--dns-option` the options.
 */
export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

export function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1';
}

export interface ResolvOptions {
  /** The host's resolv.conf text. */
  host: string;
  /** User-defined network: point at the embedded DNS. */
  embeddedDns: boolean;
  /** Host network: the host's file unchanged unless a `--dns*` flag is given; loopback nameservers kept. */
  hostNetwork?: boolean;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

export function renderResolvConf(o: ResolvOptions): string {
  if (o.hostNetwork && !o.dns?.length && !o.dnsSearch?.length && !o.dnsOptions?.length) return o.host;
  const host = parseResolvConf(o.host);
  let nameservers: string[];
  const options = o.dnsOptions?.length ? [...o.dnsOptions] : host.options.filter((x) => !x.startsWith('ndots:') || !o.embeddedDns);
  if (o.embeddedDns) {
    nameservers = ['127.0.0.11'];
    if (!options.some((x) => x.startsWith('ndots:'))) options.push('ndots:0');
  } else if (o.dns?.length) {
    nameservers = o.dns;
  } else {
    nameservers = o.hostNetwork ? host.nameservers : host.nameservers.filter((n) => !isLoopback(n));
    if (nameservers.length === 0) nameservers = DEFAULT_DNS;
  }
  const search = o.dnsSearch?.length ? o.dnsSearch.filter((d) => d !== '.') : host.search;
  let text = '';
  if (search.length) text += `search ${search.join(' ')}\n`;
  for (const n of nameservers) text += `nameserver ${n}\n`;
  if (options.length) text += `options ${options.join(' ')}\n`;
  return text;
}

/** Upstream servers for forwarding (the host's, loopback allowed: the daemon is on the host). */
export function upstreamServers(hostResolvConf: string): string[] {
  const ns = parseResolvConf(hostResolvConf).nameservers.filter((n) => !n.includes(':'));
  return ns.length ? ns : DEFAULT_DNS;
}

/** docker's first lines of a container's /etc/hosts. */
export const DEFAULT_HOSTS =
  '127.0.0.1\tlocalhost\n' +
  '::1\tlocalhost ip6-localhost ip6-loopback\n' +
  'fe00::0\tip6-localnet\n' +
  'ff00::0\tip6-mcastprefix\n' +
  'ff02::1\tip6-allnodes\n' +
  'ff02::2\tip6-allrouters\n';

export interface HostsOptions {
  /** What the file starts with in place of DEFAULT_HOSTS (host network: the host's /etc/hosts). */
  base?: string;
  hostname: string;
  domainname?: string;
  /** The container's address on its first network (none: no own line). */
  ip?: string;
  /** `--add-host name:ip` entries (docker also accepts `name=ip`). */
  extraHosts?: string[];
}

export function renderHosts(o: HostsOptions): string {
  let text = o.base ?? DEFAULT_HOSTS;
  if (text && !text.endsWith('\n')) text += '\n';
  for (const entry of o.extraHosts ?? []) {
    const sep = entry.search(/[:=]/);
    if (sep <= 0) continue;
    text += `${entry.slice(sep + 1)}\t${entry.slice(0, sep)}\n`;
  }
  if (o.ip) {
    const names = o.domainname ? `${o.hostname}.${o.domainname} ${o.hostname}` : o.hostname;
    text += `${o.ip}\t${names}\n`;
  }
  return text;
}

export function renderHostname(hostname: string): string {
  return `${hostname}\n`;
}
