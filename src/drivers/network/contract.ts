/**
 * Network driver contract, in two parts:
 *   - NetworkDriver: per network. Creates/removes/lists networks and connects an endpoint of
 *     one of its networks into a container's network namespace (and disconnects it).
 *   - SandboxProvider: per container. Makes the network namespace ("sandbox"), publishes
 *     ports, renders the /etc files (and answers the embedded DNS), and tears it all down.
 * The engine has one SandboxProvider (the bridge driver, which is both) and many
 * NetworkDrivers; a container's connect/disconnect on a network goes to the driver that owns
 * it. Implementation: bridge (Linux bridge + veth + iptables, `src/drivers/network/bridge/`).
 *
 * Drivers are registered by name in the composition root (`src/daemon/daemon.ts`, a
 * `DriverRegistry<NetworkDriver>`): `network create -d NAME` looks NAME up there (unknown:
 * docker's 404 `plugin "NAME" not found`), and a network's later operations go to the driver
 * named in its `NetworkInfo.driver`. A second driver is a new folder here implementing
 * NetworkDriver and one line there; its `connect` moves an interface into `opts.nsPath`.
 *
 * Lifecycle (the engine's calls, in order; `net` = a network's driver, `sb` = the sandbox provider):
 *   await net.init()                        // daemon start: default bridge, sysctls, static rules
 *   await net.restore(liveContainerIds)     // daemon start: rebuild IPAM/rules/DNS/port holds
 *   await net.cleanupOrphans(liveContainerIds) // drop netns/rules/veths of vanished containers
 *
 *   network create → await net.createNetwork({ name, subnet?, gateway?, internal?, labels })
 *   network rm     → await net.removeNetwork(id)       // ConflictError while endpoints remain
 *
 *   container start (before `runc create`):
 *     const { nsPath } = await sb.createSandbox(containerId)
 *     await net.connect(containerId, networkId, { nsPath, aliases: [name, shortId] })   // ×N networks
 *     const bindings = await sb.publish(containerId, ports)   // may throw; nothing left behind
 *     const files = sb.renderFiles(containerId, { hostname, dns, dnsSearch, extraHosts })
 *     // write files.hosts / files.hostname / files.resolvConf, bind-mount them in the bundle,
 *     // and put { type: 'network', path: nsPath } in linux.namespaces.
 *   container stop/exit:   await net.disconnect(…) for networks of drivers other than sb's,
 *                          then await sb.destroySandbox(containerId)  // rules, ports, IPs, netns
 *   `network connect/disconnect` on a running container: connect()/disconnect() as above.
 *   daemon stop:           await net.close()   // releases sockets only; kernel state stays
 *
 * Errors: NotFoundError (no such network/sandbox), ConflictError (name taken, endpoints
 * remain, already connected), InvalidArgumentError (bad subnet/ip/port), SystemError with
 * Docker's text for a host port in use: `Bind for 0.0.0.0:8080 failed: port is already allocated`.
 *
 * Example:
 *   const net = new BridgeNetworkDriver({ stateDir: '/var/lib/wharf/network', execRoot: '/run/wharf' });
 *   await net.init();
 *   const { nsPath } = await net.createSandbox('c0ffee…');     // '/run/wharf/netns/c0ffee…'
 *   const ep = await net.connect('c0ffee…', 'bridge', { nsPath });  // { ip: '172.18.0.2', prefixLen: 16, … }
 *   await net.publish('c0ffee…', [{ hostIp: '', hostPort: 8080, containerPort: 80, proto: 'tcp' }]);
 *   …
 *   await net.destroySandbox('c0ffee…');
 */

/** A network as the engine sees it (enough for `network inspect` IPAM/Options). */
export interface NetworkInfo {
  /** 64 hex chars; the default network's id is stable across restarts. */
  id: string;
  /** `bridge` for the default network. */
  name: string;
  /** The name of the driver that owns the network (its registry key). */
  driver: string;
  /** Linux bridge device: `wharf0` (configurable) or `br-<id12>`. */
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  /** True for the default network (no embedded DNS, no aliases, like docker's `bridge`). */
  isDefault: boolean;
  labels: Record<string, string>;
  created: string;
  /** IPv4 addresses are handed out from this part of `subnet` (`--ip-range`); absent = all of it. */
  ipRange?: string;
  /** The subnet was picked from the default pools (docker then refuses a static `--ip`). */
  autoSubnet?: boolean;
  /** `EnableIPv6`: endpoints get an address of `subnet6` (given by the client) too. */
  enableIPv6?: boolean;
  subnet6?: string;
  gateway6?: string;
  ipRange6?: string;
  /** The IPAM pools as the client gave them (inspect shows them unchanged); absent = auto. */
  ipamPools?: IpamPool[];
  /** Driver options as given (`com.docker.network.bridge.name`, `…driver.mtu`, …); inspect shows them. */
  options?: Record<string, string>;
  /** `com.docker.network.driver.mtu` */
  mtu?: number;
}

/** One `IPAM.Config` entry of `network create` (docker's field names). */
export interface IpamPool {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/**
 * Bridge driver options that change behaviour (others are kept and shown):
 *   com.docker.network.bridge.name            the Linux bridge (a new device; ≤ 15 chars)
 *   com.docker.network.driver.mtu             MTU of the container interfaces
 *   com.docker.network.bridge.enable_icc      false = containers of the bridge cannot talk
 *   com.docker.network.bridge.enable_ip_masquerade   false = no NAT to the outside
 *   com.docker.network.bridge.host_binding_ipv4      default host address of published ports
 */
export const BRIDGE_OPTS = {
  name: 'com.docker.network.bridge.name',
  mtu: 'com.docker.network.driver.mtu',
  icc: 'com.docker.network.bridge.enable_icc',
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBinding: 'com.docker.network.bridge.host_binding_ipv4',
} as const;

export interface CreateNetworkOptions {
  name: string;
  /** CIDR, e.g. `172.30.0.0/16`; omitted = a free pool that collides with no host route. */
  subnet?: string;
  /** Defaults to the first host address of the subnet. */
  gateway?: string;
  /** No NAT, no default route, no traffic to/from outside the bridge. */
  internal?: boolean;
  labels?: Record<string, string>;
  /** CIDR inside `subnet` addresses are handed out from. */
  ipRange?: string;
  /** Addresses never handed out (`AuxiliaryAddresses` values). */
  reserved?: string[];
  enableIPv6?: boolean;
  /** IPv6 subnet (ULA or any the client owns); used for addresses when `enableIPv6`. */
  subnet6?: string;
  gateway6?: string;
  ipRange6?: string;
  reserved6?: string[];
  /** For display: the pools as the client gave them. */
  ipamPools?: IpamPool[];
  /** Driver options (BRIDGE_OPTS); validated by the driver. */
  options?: Record<string, string>;
  /** false = a name already used by another network is an error (docker's CheckDuplicate). */
  allowDuplicateName?: boolean;
}

export interface ConnectOptions {
  /**
   * The container's network namespace (the sandbox provider's `createSandbox`); the engine
   * always passes it. A driver that is not the sandbox provider puts its interface there,
   * named so it clashes with no other (the provider's are eth0, eth1, …).
   */
  nsPath?: string;
  /** Static address (`--ip`); must be inside the subnet and free. */
  ip?: string;
  mac?: string;
  /** DNS names on user-defined networks: container name, `--network-alias`, short id. */
  aliases?: string[];
  /** Static IPv6 address (`--ip6`); used on networks with `enableIPv6`. */
  ip6?: string;
  /** Extra link-local addresses (`--link-local-ip`): 169.254.0.0/16 or fe80::/10. */
  linkLocalIps?: string[];
  /** Links on a user network: alias → container name, resolved by this container's DNS only. */
  links?: Record<string, string>;
}

/** One interface of a sandbox, as `inspect` NetworkSettings.Networks[name] needs it. */
export interface Endpoint {
  networkId: string;
  /** 64 hex chars (`inspect` EndpointID). */
  endpointId: string;
  /** Inside the container: eth0, eth1, … */
  ifname: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  aliases: string[];
  /** Host end of the veth pair. */
  hostVeth: string;
  /** IPv6 address on networks with `enableIPv6`. */
  ip6?: string;
  prefixLen6?: number;
  gateway6?: string;
  linkLocalIps?: string[];
  links?: Record<string, string>;
}

export type PortProto = 'tcp' | 'udp';

export interface PortRequest {
  /** '' or '0.0.0.0' = all IPv4 addresses; '127.0.0.1' etc. = that address only. */
  hostIp: string;
  /** 0 = pick a free port. */
  hostPort: number;
  containerPort: number;
  proto: PortProto;
}

/** What was actually bound (docker's `HostIp` is `0.0.0.0` for the wildcard). */
export interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: PortProto;
}

export interface SandboxInfo {
  containerId: string;
  /** Bind-mounted netns: `<execRoot>/netns/<containerId>`; pass as the OCI network namespace path. */
  nsPath: string;
  endpoints: Endpoint[];
  ports: PortBinding[];
}

export interface FileOptions {
  hostname: string;
  domainname?: string;
  /** `--dns` */
  dns?: string[];
  /** `--dns-search` */
  dnsSearch?: string[];
  /** `--dns-option` */
  dnsOptions?: string[];
  /** `--add-host` as `name:ip` */
  extraHosts?: string[];
  /** The container's address in /etc/hosts when the sandbox has no endpoint of the provider's own (all its networks are another driver's). */
  ip?: string;
}

/** Contents for the container's /etc/hosts, /etc/hostname and /etc/resolv.conf. */
export interface ContainerFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

/** The per-network part: a network's lifecycle and its endpoints in containers' sandboxes. */
export interface NetworkDriver {
  /** The name it is registered and looked up by (`network create -d`), e.g. `bridge`. */
  readonly name: string;
  /** Creates/adopts the driver's host state (the bridge driver: default bridge, static rules); idempotent. */
  init(): Promise<void>;
  /** Rebuilds in-memory state (IPAM, DNS, port holds) and re-installs rules from disk. */
  restore(liveContainerIds: Iterable<string>): Promise<void>;
  /** Removes interfaces, rules and IPAM entries (and, for a sandbox provider, netns) of containers not in `liveContainerIds`. */
  cleanupOrphans(liveContainerIds: Iterable<string>): Promise<string[]>;

  createNetwork(opts: CreateNetworkOptions): Promise<NetworkInfo>;
  /** ConflictError `error while removing network: network <name> id <id> has active endpoints`. */
  removeNetwork(idOrName: string): Promise<void>;
  /** By full id, unique id prefix or name. */
  getNetwork(idOrName: string): NetworkInfo | undefined;
  listNetworks(): NetworkInfo[];

  /** Joins the sandbox (`opts.nsPath`) of `containerId` to one of this driver's networks. */
  connect(containerId: string, network: string, opts: ConnectOptions): Promise<Endpoint>;
  /** Leaves it again: the interface, its rules and its addresses go. */
  disconnect(containerId: string, network: string): Promise<void>;

  /** Daemon stop: closes listeners and sockets; kernel state is kept. */
  close(): Promise<void>;
}

/** The per-container part: the network namespace, published ports and the /etc files. */
export interface SandboxProvider {
  createSandbox(containerId: string): Promise<{ nsPath: string }>;
  /**
   * All or nothing: on error no port stays bound and no rule stays installed. IPv4 only
   * (requests with an IPv6 hostIp are skipped); targets the first non-internal endpoint, and
   * returns [] when there is none (docker ignores ports on internal/none networks).
   */
  publish(containerId: string, ports: PortRequest[]): Promise<PortBinding[]>;
  unpublish(containerId: string): Promise<void>;
  /** The sandbox with the provider's own endpoints. */
  getSandbox(containerId: string): SandboxInfo | undefined;
  /**
   * The container's /etc files. Call after connect(). On user-defined networks `opts.dns`
   * becomes the embedded DNS's upstream for this container (resolv.conf keeps 127.0.0.11).
   */
  renderFiles(containerId: string, opts: FileOptions): ContainerFiles;
  /** Removes ports, rules, the provider's IP allocations and the netns. Idempotent. */
  destroySandbox(containerId: string): Promise<void>;
}
