/**
 * The wire model of a container: `POST /containers/create`'s body and the Config / HostConfig /
 * NetworkSettings.Networks parts of `GET /containers/{id}/json`, declared once (docker's
 * api/types/container and api/types/network). The CLI builds a `ContainerCreateRequest`, the
 * client and the router pass it on, the engine's record stores `ContainerConfig` + `HostConfig`.
 *
 * Each interface has a schema beside it (`*_SCHEMA`): its field names with their JSON kinds.
 * The compiler ties a schema to its interface (a field missing, extra or of another kind does
 * not compile), and test/unit/api-wire-types.test.ts ties the schemas to the Engine API spec
 * (../shared/specs/docker-engine-api-v1.47.yaml): every field declared here exists there with
 * a compatible type. So a field is added in one place, here, and both checks follow.
 *
 * Optional fields are the ones docker leaves out of what it sends (omitempty) or that the
 * engine fills only for some containers; a create request may leave out any field
 * (`ContainerCreateRequest` is partial).
 */

/** `HostConfig.CgroupnsMode`: "" is the daemon's default (private on cgroup v2, host on v1, or `default-cgroupns-mode`). */
export type CgroupnsMode = '' | 'host' | 'private';
export const CGROUPNS_MODES: readonly CgroupnsMode[] = ['', 'host', 'private'];

export interface PortBinding { HostIp: string; HostPort: string }
/** "80/tcp" → bindings (null: exposed, not published). */
export type PortMap = Record<string, PortBinding[] | null>;

export interface RestartPolicy { Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped'; MaximumRetryCount: number }
export interface LogConfig { Type: string; Config: Record<string, string> }
export interface DeviceMapping { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }
export interface DeviceRequest { Driver?: string; Count?: number; DeviceIDs?: string[] | null; Capabilities?: string[][] | null; Options?: Record<string, string> | null }
export interface Ulimit { Name: string; Soft: number; Hard: number }

export interface MountBindOptions { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean }
export interface MountVolumeOptions { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string }
export interface MountTmpfsOptions { SizeBytes?: number; Mode?: number }
/** `HostConfig.Mounts[]` (`--mount`). */
export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs' | string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: MountBindOptions;
  VolumeOptions?: MountVolumeOptions;
  TmpfsOptions?: MountTmpfsOptions;
}

/** `Config.Healthcheck` (durations in nanoseconds; 0 or absent = docker's default). */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** docker's `container.Config` (the spec's ContainerConfig). */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
}

/** docker's `container.HostConfig` (Resources included), as the engine stores and shows it. */
export interface HostConfig {
  Binds: string[] | null;
  ContainerIDFile?: string;
  LogConfig: LogConfig;
  NetworkMode: string;
  PortBindings: PortMap | null;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  VolumeDriver?: string;
  VolumesFrom: string[] | null;
  Mounts?: Mount[];
  ConsoleSize?: [number, number];
  Annotations?: Record<string, string>;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  CgroupnsMode?: CgroupnsMode;
  Dns: string[];
  DnsOptions: string[];
  DnsSearch: string[];
  ExtraHosts: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj: number;
  PidMode: string;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  StorageOpt?: Record<string, string>;
  Tmpfs?: Record<string, string>;
  UTSMode: string;
  UsernsMode?: string;
  ShmSize: number;
  Sysctls?: Record<string, string>;
  Runtime: string;
  Isolation?: string;
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  // Resources
  CpuShares: number;
  Memory: number;
  NanoCpus: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpusetCpus: string;
  CpusetMems: string;
  Devices: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: DeviceRequest[] | null;
  MemoryReservation?: number;
  MemorySwap: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  PidsLimit: number | null;
  Ulimits: Ulimit[] | null;
  Init?: boolean | null;
}

export interface EndpointIPAMConfig { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] }

/**
 * One network's EndpointSettings: what a client asks (create's EndpointsConfig, `network
 * connect`) and, in inspect, what the network gave.
 */
export interface EndpointSettings {
  IPAMConfig?: EndpointIPAMConfig | null;
  /** `name:alias` (user networks: the alias resolves to that container for this one only). */
  Links?: string[] | null;
  MacAddress?: string;
  Aliases?: string[] | null;
  DriverOpts?: Record<string, string> | null;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DNSNames?: string[] | null;
}

export interface NetworkingConfig { EndpointsConfig?: Record<string, EndpointSettings> }

/** `POST /containers/create`'s body: a Config with HostConfig and NetworkingConfig beside its fields; anything may be left out. */
export type ContainerCreateRequest = Partial<ContainerConfig> & { HostConfig?: Partial<HostConfig>; NetworkingConfig?: NetworkingConfig };
export interface ContainerCreateResponse { Id: string; Warnings: string[] }

// ---- schemas: field → JSON kind, tied to the interfaces above by the compiler ----

type ScalarKind<T> = T extends string ? 'string' : T extends boolean ? 'boolean' : T extends number ? 'integer' | 'number' : never;
/** The JSON kind a field of TS type T has on the wire ('string[]', 'object', 'integer', …). */
export type WireKind<T> = [NonNullable<T>] extends [readonly (infer E)[]]
  ? [NonNullable<E>] extends [readonly unknown[]] ? 'array' : [NonNullable<E>] extends [object] ? 'object[]' : `${ScalarKind<NonNullable<E>>}[]`
  : [NonNullable<T>] extends [object] ? 'object' : ScalarKind<NonNullable<T>>;
/** Every field of T with its kind, no more, no less. */
export type WireSchema<T> = { readonly [K in keyof T]-?: WireKind<T[K]> };

export const CONTAINER_CONFIG_SCHEMA = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'boolean', AttachStdout: 'boolean', AttachStderr: 'boolean',
  ExposedPorts: 'object', Tty: 'boolean', OpenStdin: 'boolean', StdinOnce: 'boolean', Env: 'string[]', Cmd: 'string[]', Healthcheck: 'object',
  ArgsEscaped: 'boolean', Image: 'string', Volumes: 'object', WorkingDir: 'string', Entrypoint: 'string[]', NetworkDisabled: 'boolean',
  MacAddress: 'string', OnBuild: 'string[]', Labels: 'object', StopSignal: 'string', StopTimeout: 'integer', Shell: 'string[]',
} as const satisfies WireSchema<ContainerConfig>;

export const HOST_CONFIG_SCHEMA = {
  Binds: 'string[]', ContainerIDFile: 'string', LogConfig: 'object', NetworkMode: 'string', PortBindings: 'object', RestartPolicy: 'object',
  AutoRemove: 'boolean', VolumeDriver: 'string', VolumesFrom: 'string[]', Mounts: 'object[]', ConsoleSize: 'integer[]', Annotations: 'object',
  CapAdd: 'string[]', CapDrop: 'string[]', CgroupnsMode: 'string', Dns: 'string[]', DnsOptions: 'string[]', DnsSearch: 'string[]',
  ExtraHosts: 'string[]', GroupAdd: 'string[]', IpcMode: 'string', Cgroup: 'string', Links: 'string[]', OomScoreAdj: 'integer', PidMode: 'string',
  Privileged: 'boolean', PublishAllPorts: 'boolean', ReadonlyRootfs: 'boolean', SecurityOpt: 'string[]', StorageOpt: 'object', Tmpfs: 'object',
  UTSMode: 'string', UsernsMode: 'string', ShmSize: 'integer', Sysctls: 'object', Runtime: 'string', Isolation: 'string',
  MaskedPaths: 'string[]', ReadonlyPaths: 'string[]',
  CpuShares: 'integer', Memory: 'integer', NanoCpus: 'integer', CgroupParent: 'string', BlkioWeight: 'integer', CpuPeriod: 'integer',
  CpuQuota: 'integer', CpusetCpus: 'string', CpusetMems: 'string', Devices: 'object[]', DeviceCgroupRules: 'string[]', DeviceRequests: 'object[]',
  MemoryReservation: 'integer', MemorySwap: 'integer', MemorySwappiness: 'integer', OomKillDisable: 'boolean', PidsLimit: 'integer',
  Ulimits: 'object[]', Init: 'boolean',
} as const satisfies WireSchema<HostConfig>;

export const ENDPOINT_SETTINGS_SCHEMA = {
  IPAMConfig: 'object', Links: 'string[]', MacAddress: 'string', Aliases: 'string[]', DriverOpts: 'object', NetworkID: 'string',
  EndpointID: 'string', Gateway: 'string', IPAddress: 'string', IPPrefixLen: 'integer', IPv6Gateway: 'string', GlobalIPv6Address: 'string',
  GlobalIPv6PrefixLen: 'integer', DNSNames: 'string[]',
} as const satisfies WireSchema<EndpointSettings>;

/**
 * Where each schema is in the spec: a definition's name, `Def.Field` for an object declared
 * inline, `Def.Field[]` for the items of an inline array.
 */
export const WIRE_SCHEMAS: readonly { spec: string; fields: Readonly<Record<string, string>> }[] = [
  { spec: 'ContainerConfig', fields: CONTAINER_CONFIG_SCHEMA },
  { spec: 'HostConfig', fields: HOST_CONFIG_SCHEMA },
  { spec: 'HostConfig.LogConfig', fields: { Type: 'string', Config: 'object' } satisfies WireSchema<LogConfig> },
  { spec: 'HostConfig.Ulimits[]', fields: { Name: 'string', Soft: 'integer', Hard: 'integer' } satisfies WireSchema<Ulimit> },
  { spec: 'RestartPolicy', fields: { Name: 'string', MaximumRetryCount: 'integer' } satisfies WireSchema<RestartPolicy> },
  { spec: 'PortBinding', fields: { HostIp: 'string', HostPort: 'string' } satisfies WireSchema<PortBinding> },
  { spec: 'DeviceMapping', fields: { PathOnHost: 'string', PathInContainer: 'string', CgroupPermissions: 'string' } satisfies WireSchema<DeviceMapping> },
  { spec: 'DeviceRequest', fields: { Driver: 'string', Count: 'integer', DeviceIDs: 'string[]', Capabilities: 'array', Options: 'object' } satisfies WireSchema<DeviceRequest> },
  {
    spec: 'Mount',
    fields: { Type: 'string', Source: 'string', Target: 'string', ReadOnly: 'boolean', Consistency: 'string', BindOptions: 'object', VolumeOptions: 'object', TmpfsOptions: 'object' } satisfies WireSchema<Mount>,
  },
  { spec: 'Mount.BindOptions', fields: { Propagation: 'string', NonRecursive: 'boolean', CreateMountpoint: 'boolean', ReadOnlyNonRecursive: 'boolean', ReadOnlyForceRecursive: 'boolean' } satisfies WireSchema<MountBindOptions> },
  { spec: 'Mount.VolumeOptions', fields: { NoCopy: 'boolean', Labels: 'object', DriverConfig: 'object', Subpath: 'string' } satisfies WireSchema<MountVolumeOptions> },
  { spec: 'Mount.TmpfsOptions', fields: { SizeBytes: 'integer', Mode: 'integer' } satisfies WireSchema<MountTmpfsOptions> },
  { spec: 'HealthConfig', fields: { Test: 'string[]', Interval: 'integer', Timeout: 'integer', StartPeriod: 'integer', StartInterval: 'integer', Retries: 'integer' } satisfies WireSchema<HealthConfig> },
  { spec: 'EndpointSettings', fields: ENDPOINT_SETTINGS_SCHEMA },
  { spec: 'EndpointIPAMConfig', fields: { IPv4Address: 'string', IPv6Address: 'string', LinkLocalIPs: 'string[]' } satisfies WireSchema<EndpointIPAMConfig> },
  { spec: 'NetworkingConfig', fields: { EndpointsConfig: 'object' } satisfies WireSchema<NetworkingConfig> },
];
