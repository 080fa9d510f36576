/**
 * Daemon configuration: command-line flags merged with `/etc/wharf/daemon.json` (docker's key
 * names). An unknown key, or a key given both as a flag and in the file, is a start-up error
 * with docker's wording. Every accepted key does what docker's does; a docker key wharf does
 * not implement is refused with why (UNSUPPORTED), never accepted and ignored.
 * `reloadable` lists what SIGHUP re-reads. Driver names (`storage-driver`, `default-runtime`)
 * are looked up in the daemon's registries (daemon.ts).
 */
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { isLogLevel, type LogLevel } from '../common/logger.ts';
import { parseBytes } from '../common/human.ts';

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: LogLevel;
  debug: boolean;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureTcp: boolean;
  storageDriver: string;
  registryMirrors: string[];
  insecureRegistries: string[];
  bip?: string;
  bridge: string;
  liveRestore: boolean;
  group: string;
  defaultRuntime: string;
  logDriver: string;
  logOpts: Record<string, string>;
  iptables: boolean;
  ipForward: boolean;
  dns: string[];
  /** Search domains of containers that give none (`--dns-search`). */
  dnsSearch: string[];
  experimental: boolean;
  noNewPrivileges: boolean;
  /** /dev/shm size of containers that give none (docker's units: `64m`, `1g`). */
  defaultShmSize?: string;
  /** `info` Labels (`key=value`). */
  labels: string[];
  /** Layers a pull downloads at once, daemon-wide. */
  maxConcurrentDownloads: number;
  /** Layers a push uploads at once, daemon-wide. */
  maxConcurrentUploads: number;
  /** Only `false` is accepted: published ports use kernel NAT, there is no userland proxy. */
  userlandProxy: boolean;
  /** daemon.json `runtimes`: only `{}` (runc is built in). */
  runtimes: Record<string, unknown>;
  /** Where CDI specs are read (docker's `cdi-spec-dirs`; later directories win). */
  cdiSpecDirs: string[];
  /** daemon.json `proxies` (`http-proxy`, `https-proxy`, `no-proxy`) or --http-proxy…; the environment's otherwise. */
  proxies: { 'http-proxy'?: string; 'https-proxy'?: string; 'no-proxy'?: string };
  configFile: string;
  /** Serve the Container Runtime Interface (kubelet, crictl) on `criSocket` too. */
  cri: boolean;
  criSocket: string;
  /** Per-registry mirrors for CRI pulls, as containerd's `registry.mirrors` (host → endpoint URLs). */
  criRegistryMirrors: Record<string, string[]>;
  /** CNI network configs and plugin dirs for pods (`:`-separated); no config: wharf's bridge. */
  cniConfDir: string;
  cniBinDir: string;
  /** host:port of the CRI streaming server (Exec/Attach/PortForward URLs); port 0 picks one. */
  criStreamingAddress: string;
}

/** daemon.json key → config field, with the value's kind. */
const KEYS: Record<string, { field: keyof DaemonConfig; kind: 'string' | 'bool' | 'list' | 'map' | 'number' }> = {
  hosts: { field: 'hosts', kind: 'list' },
  'data-root': { field: 'dataRoot', kind: 'string' },
  'exec-root': { field: 'execRoot', kind: 'string' },
  pidfile: { field: 'pidfile', kind: 'string' },
  'log-level': { field: 'logLevel', kind: 'string' },
  debug: { field: 'debug', kind: 'bool' },
  tls: { field: 'tls', kind: 'bool' },
  tlsverify: { field: 'tlsVerify', kind: 'bool' },
  tlscacert: { field: 'tlsCaCert', kind: 'string' },
  tlscert: { field: 'tlsCert', kind: 'string' },
  tlskey: { field: 'tlsKey', kind: 'string' },
  'insecure-tcp': { field: 'insecureTcp', kind: 'bool' },
  'storage-driver': { field: 'storageDriver', kind: 'string' },
  'registry-mirrors': { field: 'registryMirrors', kind: 'list' },
  'insecure-registries': { field: 'insecureRegistries', kind: 'list' },
  bip: { field: 'bip', kind: 'string' },
  bridge: { field: 'bridge', kind: 'string' },
  'live-restore': { field: 'liveRestore', kind: 'bool' },
  group: { field: 'group', kind: 'string' },
  'default-runtime': { field: 'defaultRuntime', kind: 'string' },
  'log-driver': { field: 'logDriver', kind: 'string' },
  'log-opts': { field: 'logOpts', kind: 'map' },
  iptables: { field: 'iptables', kind: 'bool' },
  'ip-forward': { field: 'ipForward', kind: 'bool' },
  dns: { field: 'dns', kind: 'list' },
  'dns-search': { field: 'dnsSearch', kind: 'list' },
  experimental: { field: 'experimental', kind: 'bool' },
  'no-new-privileges': { field: 'noNewPrivileges', kind: 'bool' },
  'default-shm-size': { field: 'defaultShmSize', kind: 'string' },
  labels: { field: 'labels', kind: 'list' },
  'max-concurrent-downloads': { field: 'maxConcurrentDownloads', kind: 'number' },
  'max-concurrent-uploads': { field: 'maxConcurrentUploads', kind: 'number' },
  'userland-proxy': { field: 'userlandProxy', kind: 'bool' },
  runtimes: { field: 'runtimes', kind: 'map' },
  'cdi-spec-dirs': { field: 'cdiSpecDirs', kind: 'list' },
  proxies: { field: 'proxies', kind: 'map' },
  cri: { field: 'cri', kind: 'bool' },
  'cri-socket': { field: 'criSocket', kind: 'string' },
  'cri-registry-mirrors': { field: 'criRegistryMirrors', kind: 'map' },
  'cni-conf-dir': { field: 'cniConfDir', kind: 'string' },
  'cni-bin-dir': { field: 'cniBinDir', kind: 'string' },
  'cri-streaming-address': { field: 'criStreamingAddress', kind: 'string' },
};

const PROXY_KEYS = ['http-proxy', 'https-proxy', 'no-proxy'] as const;

/** Keys SIGHUP re-reads from the file. */
export const RELOADABLE: (keyof DaemonConfig)[] = ['registryMirrors', 'insecureRegistries', 'debug', 'logLevel', 'labels', 'maxConcurrentDownloads', 'maxConcurrentUploads', 'liveRestore'];

export const DEFAULT_SOCKET = 'unix:///run/wharf/wharf.sock';
export const DEFAULT_CRI_SOCKET = '/run/wharf/cri.sock';

export function defaults(): DaemonConfig {
  return {
    hosts: [], dataRoot: '/var/lib/wharf', execRoot: '/run/wharf', pidfile: '/run/wharfd.pid', logLevel: 'info', debug: false,
    tls: false, tlsVerify: false, insecureTcp: false, storageDriver: 'overlay2', registryMirrors: [], insecureRegistries: [],
    liveRestore: true, bridge: 'wharf0', group: 'wharf', defaultRuntime: 'runc', logDriver: 'json-file', logOpts: {}, iptables: true, ipForward: true,
    dns: [], dnsSearch: [], experimental: false, noNewPrivileges: false, labels: [], maxConcurrentDownloads: 3, maxConcurrentUploads: 5,
    userlandProxy: false, runtimes: {}, cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'], proxies: {}, configFile: '/etc/wharf/daemon.json', cri: false, criSocket: DEFAULT_CRI_SOCKET, criRegistryMirrors: {},
    cniConfDir: '/etc/cni/net.d', cniBinDir: '/opt/cni/bin:/usr/lib/cni', criStreamingAddress: '127.0.0.1:0',
  };
}

export class ConfigError extends Error {}

export function buildDaemonCommand(): Command {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  const cmd = new Command('wharfd')
    .description('A self-sufficient runtime for containers (Docker Engine API compatible)')
    .option('-H, --host <address>', 'Daemon socket(s) to connect to (unix://, tcp://, fd://)', collect)
    .option('--data-root <dir>', 'Root directory of persistent state')
    .option('--exec-root <dir>', 'Root directory for execution state files')
    .option('-p, --pidfile <file>', 'Path to use for daemon PID file')
    .option('-l, --log-level <level>', 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")')
    .option('-D, --debug', 'Enable debug mode')
    .option('--tls', 'Use TLS; implied by --tlsverify')
    .option('--tlsverify', 'Use TLS and verify the remote (require client certificates)')
    .option('--tlscacert <file>', 'Trust certs signed only by this CA')
    .option('--tlscert <file>', 'Path to TLS certificate file')
    .option('--tlskey <file>', 'Path to TLS key file')
    .option('--insecure-tcp', 'Allow a tcp:// listener without TLS (anyone who reaches it is root)')
    .option('-s, --storage-driver <name>', 'Storage driver to use (overlay2, vfs)')
    .option('--registry-mirror <url>', 'Preferred registry mirror', collect)
    .option('--insecure-registry <host>', 'Enable insecure registry communication', collect)
    .option('--bip <cidr>', 'Specify network bridge IP')
    .option('-b, --bridge <name>', 'Attach containers to a network bridge (default "wharf0")')
    .option('--live-restore', 'Enable live restore of containers when the daemon stops')
    .option('-G, --group <group>', 'Group for the unix socket')
    .option('--default-runtime <name>', 'Default OCI runtime for containers')
    .option('--log-driver <name>', 'Default driver for container logs')
    .option('--log-opt <k=v>', 'Default log driver options for containers', collect)
    .option('--dns <ip>', 'DNS server to use', collect)
    .option('--dns-search <domain>', 'DNS search domains to use', collect)
    .option('--default-shm-size <size>', 'Default shm size for containers (default 64MiB)')
    .option('--label <key=value>', 'Set key=value labels to the daemon', collect)
    .option('--max-concurrent-downloads <n>', 'Set the max concurrent downloads for each pull (default 3)', (v: string) => Number(v))
    .option('--max-concurrent-uploads <n>', 'Set the max concurrent uploads for each push (default 5)', (v: string) => Number(v))
    .addOption(new Option('--ip-forward <bool>', 'Enable net.ipv4.ip_forward (default true)').choices(['true', 'false']))
    .option('--experimental', 'Enable experimental features')
    .option('--no-new-privileges', 'Set no-new-privileges by default for new containers')
    .option('--cdi-spec-dir <dir>', 'CDI specification directories to use', collect)
    .option('--config-file <file>', 'Daemon configuration file', '/etc/wharf/daemon.json')
    .option('--http-proxy <url>', 'HTTP proxy URL to use for outgoing traffic')
    .option('--https-proxy <url>', 'HTTPS proxy URL to use for outgoing traffic')
    .addOption(new Option('--no-proxy <list>', 'Comma-separated list of hosts or IP addresses for which the proxy is skipped').argParser((v: string) => v))
    .option('--cri', 'Also serve the Kubernetes Container Runtime Interface (kubelet, crictl)')
    .option('--cri-socket <path>', `Unix socket of the CRI endpoint (default "${DEFAULT_CRI_SOCKET}"); implies --cri`)
    .option('--cri-streaming-address <host:port>', 'Where the CRI streaming server (exec, attach, port-forward) listens (default "127.0.0.1:0": loopback, any port)')
    .option('--cni-conf-dir <dir>', 'CNI network configs for CRI pods (default "/etc/cni/net.d"; none there: wharf\'s bridge)')
    .option('--cni-bin-dir <dirs>', 'CNI plugin directories, ":"-separated (default "/opt/cni/bin:/usr/lib/cni")')
    .addOption(new Option('--iptables <bool>', 'Enable addition of iptables rules').choices(['true', 'false']))
    .helpOption('-h, --help', 'Print usage')
    .version('wharfd 0.1.0', '-v, --version', 'Print version information and quit')
    .allowExcessArguments(false);
  return cmd;
}

/** Flags as given (only those present) mapped to daemon.json keys. */
function flagValues(opts: Record<string, unknown>): Record<string, unknown> {
  const map: Record<string, string> = {
    host: 'hosts', dataRoot: 'data-root', execRoot: 'exec-root', pidfile: 'pidfile', logLevel: 'log-level', debug: 'debug', tls: 'tls',
    tlsverify: 'tlsverify', tlscacert: 'tlscacert', tlscert: 'tlscert', tlskey: 'tlskey', insecureTcp: 'insecure-tcp', storageDriver: 'storage-driver',
    registryMirror: 'registry-mirrors', insecureRegistry: 'insecure-registries', bip: 'bip', bridge: 'bridge', liveRestore: 'live-restore', group: 'group',
    defaultRuntime: 'default-runtime', logDriver: 'log-driver', logOpt: 'log-opts', dns: 'dns', dnsSearch: 'dns-search', experimental: 'experimental', defaultShmSize: 'default-shm-size', label: 'labels',
    maxConcurrentDownloads: 'max-concurrent-downloads', maxConcurrentUploads: 'max-concurrent-uploads', ipForward: 'ip-forward',
    iptables: 'iptables', cdiSpecDir: 'cdi-spec-dirs', cri: 'cri', criSocket: 'cri-socket', cniConfDir: 'cni-conf-dir', cniBinDir: 'cni-bin-dir', criStreamingAddress: 'cri-streaming-address',
  };
  const out: Record<string, unknown> = {};
  for (const [k, key] of Object.entries(map)) {
    const v = opts[k];
    if (v === undefined) continue;
    if (key === 'log-opts') out[key] = Object.fromEntries((v as string[]).map((s) => { const i = s.indexOf('='); return [s.slice(0, i), s.slice(i + 1)]; }));
    else if (key === 'iptables' || key === 'ip-forward') out[key] = v === 'true';
    else out[key] = v;
  }
  const proxies: Record<string, string> = {};
  if (typeof opts.httpProxy === 'string') proxies['http-proxy'] = opts.httpProxy;
  if (typeof opts.httpsProxy === 'string') proxies['https-proxy'] = opts.httpsProxy;
  if (typeof opts.proxy === 'string') proxies['no-proxy'] = opts.proxy; // --no-proxy (commander's negation name)
  if (Object.keys(proxies).length) out.proxies = proxies;
  // commander turns --no-new-privileges into newPrivileges=false; only an explicit flag counts.
  if (opts.newPrivileges === false) out['no-new-privileges'] = true;
  return out;
}

export function readConfigFile(file: string, mustExist: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !mustExist) return {};
    throw new ConfigError(`unable to configure the Wharf daemon with file ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`unable to configure the Wharf daemon with file ${file}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`unable to configure the Wharf daemon with file ${file}: not a JSON object`);
  const unknown = Object.keys(parsed).filter((k) => !(k in KEYS));
  if (unknown.length) throw new ConfigError(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    const kind = KEYS[k]!.kind;
    const ok = kind === 'list' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
      : kind === 'map' ? !!v && typeof v === 'object' && !Array.isArray(v)
      : kind === 'bool' ? typeof v === 'boolean'
      : kind === 'number' ? typeof v === 'number'
      : typeof v === 'string';
    if (!ok) throw new ConfigError(`invalid value for "${k}" in ${file}: expected ${kind}`);
    if (k === 'proxies') {
      const bad = Object.keys(v as object).filter((pk) => !(PROXY_KEYS as readonly string[]).includes(pk));
      if (bad.length) throw new ConfigError(`the following directives don't match any configuration option: ${bad.map((b) => `proxies.${b}`).join(', ')}`);
      for (const [pk, pv] of Object.entries(v as object)) if (typeof pv !== 'string') throw new ConfigError(`invalid value for "proxies.${pk}" in ${file}: expected string`);
    }
  }
  return parsed as Record<string, unknown>;
}

function apply(cfg: DaemonConfig, values: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(values)) (cfg as unknown as Record<string, unknown>)[KEYS[k]!.field] = v;
}

/** Parses argv (without node and script) into the effective configuration. */
export function loadConfig(argv: string[]): DaemonConfig {
  const cmd = buildDaemonCommand();
  cmd.exitOverride();
  cmd.parse(argv, { from: 'user' });
  const opts = cmd.opts();
  const flags = flagValues(opts);
  const explicitFile = cmd.getOptionValueSource('configFile') === 'cli';
  const file = opts.configFile as string;
  const fromFile = readConfigFile(file, explicitFile);
  const conflicts = Object.keys(flags).filter((k) => k in fromFile && k !== 'proxies');
  const flagProxies = (flags.proxies ?? {}) as Record<string, string>;
  const fileProxies = (fromFile.proxies ?? {}) as Record<string, string>;
  const proxyConflicts = Object.keys(flagProxies).filter((k) => k in fileProxies);
  if (conflicts.length || proxyConflicts.length) {
    const parts = [
      ...conflicts.map((k) => `${k}: (from flag: ${fmt(flags[k])}, from file: ${fmt(fromFile[k])})`),
      ...proxyConflicts.map((k) => `${k}: (from flag: ${flagProxies[k]}, from file: ${fileProxies[k]})`),
    ];
    throw new ConfigError(`the following directives are specified both as a flag and in the configuration file: ${parts.join(', ')}`);
  }
  const cfg = defaults();
  cfg.configFile = file;
  apply(cfg, fromFile);
  apply(cfg, flags);
  cfg.proxies = { ...fileProxies, ...flagProxies };
  return finish(cfg);
}

function fmt(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(' ')}]` : String(v);
}

/**
 * As docker's ValidateMirror: a mirror URL is http(s), and credentials in it are refused (they
 * would show in `docker info` and in the log); the message masks the password.
 */
function validateMirrors(mirrors: string[]): void {
  for (const m of mirrors) {
    let u: URL;
    try {
      u = new URL(m);
    } catch {
      const masked = JSON.stringify(m.replace(/\/\/([^/@]*):[^/@]*@/, '//$1:xxxxx@'));
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m)) throw new ConfigError(`invalid mirror: unsupported scheme "" in ${masked}`);
      throw new ConfigError(`invalid mirror: ${masked} is not a valid URI`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`invalid mirror: unsupported scheme ${JSON.stringify(u.protocol.slice(0, -1))} in ${JSON.stringify(m)}`);
    if (u.username || u.password) {
      if (u.password) u.password = 'xxxxx';
      throw new ConfigError(`invalid mirror: username/password not allowed in URI ${JSON.stringify(u.href)}`);
    }
  }
}

function finish(cfg: DaemonConfig): DaemonConfig {
  if (!isLogLevel(cfg.logLevel)) throw new ConfigError(`unable to parse logging level: ${cfg.logLevel}`);
  if (cfg.debug) cfg.logLevel = 'debug';
  if (cfg.tlsVerify) cfg.tls = true;
  if (cfg.hosts.length === 0) cfg.hosts = [DEFAULT_SOCKET];
  validateMirrors(cfg.registryMirrors);
  validateKnownKeys(cfg);
  for (const [host, urls] of Object.entries(cfg.criRegistryMirrors)) {
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string')) throw new ConfigError(`invalid value for "cri-registry-mirrors" in ${cfg.configFile}: ${host} must map to a list of URLs`);
    validateMirrors(urls);
  }
  cfg.criSocket = cfg.criSocket.replace(/^unix:\/\//, '');
  if (!cfg.criSocket.startsWith('/')) throw new ConfigError(`--cri-socket must be an absolute path (or unix:///path): ${cfg.criSocket}`);
  if (cfg.criSocket !== DEFAULT_CRI_SOCKET) cfg.cri = true;
  for (const h of cfg.hosts) {
    if (h.startsWith('tcp://') && !cfg.tls && !cfg.insecureTcp) {
      throw new ConfigError(`refusing to listen on ${h} without TLS: use --tlsverify --tlscacert --tlscert --tlskey, or --insecure-tcp to accept an unauthenticated, unencrypted API (anyone who reaches it is root on this host)`);
    }
  }
  if (cfg.tls && (!cfg.tlsCert || !cfg.tlsKey || (cfg.tlsVerify && !cfg.tlsCaCert))) {
    throw new ConfigError('TLS needs --tlscert and --tlskey (and --tlscacert with --tlsverify)');
  }
  return cfg;
}

/**
 * Values of the keys wharf implements, checked as docker checks them, and the docker keys it
 * does not implement refused with why (a daemon that silently ignored them would run differently
 * from what the file says).
 */
function validateKnownKeys(cfg: DaemonConfig): void {
  if (cfg.userlandProxy) {
    throw new ConfigError('userland-proxy: true is not supported: wharf publishes ports with kernel NAT only (as docker with "userland-proxy": false); leave the key out or set it to false');
  }
  const names = Object.keys(cfg.runtimes);
  if (names.length) {
    throw new ConfigError(`runtimes: not supported: wharf runs containers with its built-in runc only (runtimes are drivers registered by name in the daemon), so ${names.map((n) => JSON.stringify(n)).join(', ')} cannot be added; leave the key out`);
  }
  for (const [key, n] of [['downloads', cfg.maxConcurrentDownloads], ['uploads', cfg.maxConcurrentUploads]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`invalid max concurrent ${key}: ${n} (at least 1)`);
  }
  if (cfg.defaultShmSize !== undefined) {
    let bytes: number;
    try {
      bytes = parseBytes(cfg.defaultShmSize);
    } catch (err) {
      throw new ConfigError(`invalid default-shm-size ${JSON.stringify(cfg.defaultShmSize)}: ${(err as Error).message}`);
    }
    if (bytes <= 0) throw new ConfigError(`invalid default-shm-size ${JSON.stringify(cfg.defaultShmSize)}: must be more than 0`);
  }
  validateLabels(cfg.labels);
}

/** docker's daemon labels: `key=value`, a key given twice only with the same value. */
function validateLabels(labels: string[]): void {
  const seen = new Map<string, string>();
  for (const l of labels) {
    const i = l.indexOf('=');
    if (i <= 0) throw new ConfigError(`bad attribute format: ${l}`);
    const k = l.slice(0, i);
    const v = l.slice(i + 1);
    if (seen.has(k) && seen.get(k) !== v) throw new ConfigError(`conflict labels for ${k}=${seen.get(k)} and ${k}=${v}`);
    seen.set(k, v);
  }
}

/** Re-reads the reloadable keys from the file (SIGHUP). Returns the keys that changed. */
export function reloadConfig(cfg: DaemonConfig): string[] {
  const fromFile = readConfigFile(cfg.configFile, false);
  const fresh = defaults();
  apply(fresh, fromFile);
  validateMirrors(fresh.registryMirrors);
  validateLabels(fresh.labels);
  for (const [key, n] of [['downloads', fresh.maxConcurrentDownloads], ['uploads', fresh.maxConcurrentUploads]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`invalid max concurrent ${key}: ${n} (at least 1)`);
  }
  const changed: string[] = [];
  for (const field of RELOADABLE) {
    const before = JSON.stringify(cfg[field]);
    const after = JSON.stringify(fresh[field]);
    if (before !== after) {
      (cfg as unknown as Record<string, unknown>)[field] = fresh[field];
      changed.push(field);
    }
  }
  if (changed.includes('debug') && cfg.debug) cfg.logLevel = 'debug';
  return changed;
}
