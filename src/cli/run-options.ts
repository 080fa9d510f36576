/**
 * The flag set shared by `run` and `create` (docker 28's names, short forms and defaults),
 * and the parsed-options shape commander hands to buildCreateBody().
 *
 * Each flag names where it lands (`to`): fields of the create body, typed against the wire
 * model (api/types/container.ts), so a flag aimed at a field the daemon's types lack does not
 * compile; or `client` for what only the CLI uses (a query parameter, the pull, the attach).
 * A flag that is a plain string field (`pass`) needs nothing else: buildCreateBody() copies
 * it, after its `check`. test/unit/cli-run-flag-table.test.ts holds the table to the command.
 */
import { Option } from 'commander';
import { CGROUPNS_MODES, type CgroupnsMode, type ContainerConfig, type EndpointSettings, type HostConfig, type NetworkingConfig } from '../api/types/container.ts';
import type { DockerCommand } from './docker-command.ts';
import { collect } from './options.ts';

export interface RunOpts {
  name?: string; detach?: boolean; interactive?: boolean; tty?: boolean; rm?: boolean;
  env: string[]; envFile: string[]; workdir?: string; user?: string; entrypoint?: string; hostname?: string; domainname?: string;
  publish: string[]; publishAll?: boolean; volume: string[]; mount: string[]; tmpfs: string[]; volumesFrom: string[]; volumeDriver?: string;
  network?: string; net?: string; networkAlias: string[]; netAlias: string[]; ip?: string; ip6?: string; macAddress?: string;
  dns: string[]; dnsSearch: string[]; dnsOption: string[]; addHost: string[]; link: string[];
  shmSize?: string; memory?: string; memorySwap?: string; memoryReservation?: string; memorySwappiness?: string; cpus?: string; cpuShares?: string;
  cpuPeriod?: string; cpuQuota?: string; cpusetCpus?: string; cpusetMems?: string; pidsLimit?: string; blkioWeight?: string; ulimit: string[];
  restart?: string; init?: boolean; readOnly?: boolean; capAdd: string[]; capDrop: string[]; privileged?: boolean; securityOpt: string[];
  label: string[]; labelFile: string[]; stopSignal?: string; stopTimeout?: string; device: string[]; deviceCgroupRule: string[]; gpus?: string;
  logDriver?: string; logOpt: string[]; healthCmd?: string; healthInterval?: string; healthTimeout?: string; healthStartPeriod?: string;
  healthStartInterval?: string; healthRetries?: string; healthcheck: boolean; expose: string[]; sysctl: string[]; oomScoreAdj?: string;
  oomKillDisable?: boolean; detachKeys?: string; sigProxy: boolean; attach: string[]; platform?: string; pull: string; cidfile?: string;
  quiet?: boolean; groupAdd: string[]; ipc?: string; pid?: string; uts?: string; userns?: string; cgroupns?: string; cgroupParent?: string;
  runtime?: string; annotation: string[]; storageOpt: string[]; isolation?: string;
}

/** A field of the create body: Config's own, HostConfig's, NetworkingConfig's, or one network's EndpointSettings. */
export type BodyField =
  | `Config.${keyof ContainerConfig}` | `HostConfig.${keyof HostConfig}`
  | `NetworkingConfig.${keyof NetworkingConfig}` | `EndpointSettings.${keyof EndpointSettings}`;

type StringFieldOf<T, P extends string> = { [K in keyof T & string]-?: NonNullable<T[K]> extends string ? `${P}.${K}` : never }[keyof T & string];
/** A body field holding a plain string (what a `pass` flag fills). */
export type StringField = StringFieldOf<ContainerConfig, 'Config'> | StringFieldOf<HostConfig, 'HostConfig'>;

export interface RunFlag {
  /** commander's flags string ('-h, --hostname <string>'). */
  flags: string;
  desc: string;
  kind: 'str' | 'list' | 'bool';
  /** Where the value goes; `pass` flags name their field there. */
  to: BodyField | readonly BodyField[] | 'client';
  /** A string flag copied as is into that field ('' when absent). */
  pass?: boolean;
  /** The CLI's check of a value: docker's message for a bad one. */
  check?: (v: string) => string | undefined;
  /** Only `run` has it. */
  runOnly?: boolean;
  hidden?: boolean;
  /** A bool flag that defaults to true (`--sig-proxy`), or a string flag's default (`--pull`). */
  dflt?: boolean | string;
}

const ATTACH = ['Config.AttachStdin', 'Config.AttachStdout', 'Config.AttachStderr', 'Config.StdinOnce'] as const;

/** Every run/create flag, docker 28's names and help texts, in help order. */
export const RUN_FLAGS: readonly RunFlag[] = [
  { flags: '--add-host <list>', desc: 'Add a custom host-to-IP mapping (host:ip)', kind: 'list', to: 'HostConfig.ExtraHosts' },
  { flags: '--annotation <map>', desc: 'Add an annotation to the container (passed through to the OCI runtime)', kind: 'list', to: 'HostConfig.Annotations' },
  { flags: '-a, --attach <list>', desc: 'Attach to STDIN, STDOUT or STDERR', kind: 'list', to: ATTACH },
  { flags: '--blkio-weight <uint16>', desc: 'Block IO (relative weight), between 10 and 1000, or 0 to disable', kind: 'str', to: 'HostConfig.BlkioWeight' },
  { flags: '--cap-add <list>', desc: 'Add Linux capabilities', kind: 'list', to: 'HostConfig.CapAdd' },
  { flags: '--cap-drop <list>', desc: 'Drop Linux capabilities', kind: 'list', to: 'HostConfig.CapDrop' },
  { flags: '--cgroup-parent <string>', desc: 'Optional parent cgroup for the container', kind: 'str', to: 'HostConfig.CgroupParent', pass: true },
  {
    flags: '--cgroupns <string>', desc: 'Cgroup namespace to use (host|private)', kind: 'str', to: 'HostConfig.CgroupnsMode', pass: true,
    check: (v) => (CGROUPNS_MODES.includes(v as CgroupnsMode) ? undefined : '--cgroupns: invalid CGROUP mode'),
  },
  { flags: '--cidfile <string>', desc: 'Write the container ID to the file', kind: 'str', to: 'HostConfig.ContainerIDFile', pass: true },
  { flags: '--cpu-period <int>', desc: 'Limit CPU CFS (Completely Fair Scheduler) period', kind: 'str', to: 'HostConfig.CpuPeriod' },
  { flags: '--cpu-quota <int>', desc: 'Limit CPU CFS (Completely Fair Scheduler) quota', kind: 'str', to: 'HostConfig.CpuQuota' },
  { flags: '-c, --cpu-shares <int>', desc: 'CPU shares (relative weight)', kind: 'str', to: 'HostConfig.CpuShares' },
  { flags: '--cpus <decimal>', desc: 'Number of CPUs', kind: 'str', to: 'HostConfig.NanoCpus' },
  { flags: '--cpuset-cpus <string>', desc: 'CPUs in which to allow execution (0-3, 0,1)', kind: 'str', to: 'HostConfig.CpusetCpus', pass: true },
  { flags: '--cpuset-mems <string>', desc: 'MEMs in which to allow execution (0-3, 0,1)', kind: 'str', to: 'HostConfig.CpusetMems', pass: true },
  { flags: '-d, --detach', desc: 'Run container in background and print container ID', kind: 'bool', to: ATTACH, runOnly: true },
  { flags: '--detach-keys <string>', desc: 'Override the key sequence for detaching a container', kind: 'str', to: 'client', runOnly: true },
  { flags: '--device <list>', desc: 'Add a host device to the container', kind: 'list', to: ['HostConfig.Devices', 'HostConfig.DeviceRequests'] },
  { flags: '--device-cgroup-rule <list>', desc: 'Add a rule to the cgroup allowed devices list', kind: 'list', to: 'HostConfig.DeviceCgroupRules' },
  { flags: '--dns <list>', desc: 'Set custom DNS servers', kind: 'list', to: 'HostConfig.Dns' },
  { flags: '--dns-option <list>', desc: 'Set DNS options', kind: 'list', to: 'HostConfig.DnsOptions' },
  { flags: '--dns-search <list>', desc: 'Set custom DNS search domains', kind: 'list', to: 'HostConfig.DnsSearch' },
  { flags: '--domainname <string>', desc: 'Container NIS domain name', kind: 'str', to: 'Config.Domainname', pass: true },
  { flags: '--entrypoint <string>', desc: 'Overwrite the default ENTRYPOINT of the image', kind: 'str', to: 'Config.Entrypoint' },
  { flags: '-e, --env <list>', desc: 'Set environment variables', kind: 'list', to: 'Config.Env' },
  { flags: '--env-file <list>', desc: 'Read in a file of environment variables', kind: 'list', to: 'Config.Env' },
  { flags: '--expose <list>', desc: 'Expose a port or a range of ports', kind: 'list', to: 'Config.ExposedPorts' },
  { flags: '--gpus <gpu-request>', desc: "GPU devices to add to the container ('all' to pass all GPUs)", kind: 'str', to: 'HostConfig.DeviceRequests' },
  { flags: '--group-add <list>', desc: 'Add additional groups to join', kind: 'list', to: 'HostConfig.GroupAdd' },
  { flags: '--health-cmd <string>', desc: 'Command to run to check health', kind: 'str', to: 'Config.Healthcheck' },
  { flags: '--health-interval <duration>', desc: 'Time between running the check (ms|s|m|h) (default 0s)', kind: 'str', to: 'Config.Healthcheck' },
  { flags: '--health-retries <int>', desc: 'Consecutive failures needed to report unhealthy', kind: 'str', to: 'Config.Healthcheck' },
  { flags: '--health-start-interval <duration>', desc: 'Time between running the check during the start period (ms|s|m|h) (default 0s)', kind: 'str', to: 'Config.Healthcheck' },
  { flags: '--health-start-period <duration>', desc: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', kind: 'str', to: 'Config.Healthcheck' },
  { flags: '--health-timeout <duration>', desc: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', kind: 'str', to: 'Config.Healthcheck' },
  { flags: '-h, --hostname <string>', desc: 'Container host name', kind: 'str', to: 'Config.Hostname', pass: true },
  { flags: '--init', desc: 'Run an init inside the container that forwards signals and reaps processes', kind: 'bool', to: 'HostConfig.Init' },
  { flags: '-i, --interactive', desc: 'Keep STDIN open even if not attached', kind: 'bool', to: ['Config.OpenStdin', 'Config.AttachStdin', 'Config.StdinOnce'] },
  { flags: '--ip <string>', desc: 'IPv4 address (e.g., 172.30.100.104)', kind: 'str', to: 'EndpointSettings.IPAMConfig' },
  { flags: '--ip6 <string>', desc: 'IPv6 address (e.g., 2001:db8::33)', kind: 'str', to: 'EndpointSettings.IPAMConfig' },
  { flags: '--ipc <string>', desc: 'IPC mode to use', kind: 'str', to: 'HostConfig.IpcMode', pass: true },
  { flags: '--isolation <string>', desc: 'Container isolation technology', kind: 'str', to: 'HostConfig.Isolation', pass: true },
  { flags: '-l, --label <list>', desc: 'Set meta data on a container', kind: 'list', to: 'Config.Labels' },
  { flags: '--label-file <list>', desc: 'Read in a line delimited file of labels', kind: 'list', to: 'Config.Labels' },
  { flags: '--link <list>', desc: 'Add link to another container', kind: 'list', to: 'HostConfig.Links' },
  { flags: '--log-driver <string>', desc: 'Logging driver for the container', kind: 'str', to: 'HostConfig.LogConfig' },
  { flags: '--log-opt <list>', desc: 'Log driver options', kind: 'list', to: 'HostConfig.LogConfig' },
  { flags: '--mac-address <string>', desc: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)', kind: 'str', to: ['Config.MacAddress', 'EndpointSettings.MacAddress'] },
  { flags: '-m, --memory <bytes>', desc: 'Memory limit', kind: 'str', to: 'HostConfig.Memory' },
  { flags: '--memory-reservation <bytes>', desc: 'Memory soft limit', kind: 'str', to: 'HostConfig.MemoryReservation' },
  { flags: '--memory-swap <bytes>', desc: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", kind: 'str', to: 'HostConfig.MemorySwap' },
  { flags: '--memory-swappiness <int>', desc: 'Tune container memory swappiness (0 to 100) (default -1)', kind: 'str', to: 'HostConfig.MemorySwappiness' },
  { flags: '--mount <mount>', desc: 'Attach a filesystem mount to the container', kind: 'list', to: 'HostConfig.Mounts' },
  { flags: '--name <string>', desc: 'Assign a name to the container', kind: 'str', to: 'client' },
  { flags: '--network <network>', desc: 'Connect a container to a network', kind: 'str', to: ['HostConfig.NetworkMode', 'NetworkingConfig.EndpointsConfig'] },
  { flags: '--net <network>', desc: '', kind: 'str', to: ['HostConfig.NetworkMode', 'NetworkingConfig.EndpointsConfig'], hidden: true },
  { flags: '--network-alias <list>', desc: 'Add network-scoped alias for the container', kind: 'list', to: 'EndpointSettings.Aliases' },
  { flags: '--net-alias <list>', desc: '', kind: 'list', to: 'EndpointSettings.Aliases', hidden: true },
  { flags: '--no-healthcheck', desc: 'Disable any container-specified HEALTHCHECK', kind: 'bool', to: 'Config.Healthcheck' },
  { flags: '--oom-kill-disable', desc: 'Disable OOM Killer', kind: 'bool', to: 'HostConfig.OomKillDisable' },
  { flags: '--oom-score-adj <int>', desc: "Tune host's OOM preferences (-1000 to 1000)", kind: 'str', to: 'HostConfig.OomScoreAdj' },
  { flags: '--pid <string>', desc: 'PID namespace to use', kind: 'str', to: 'HostConfig.PidMode', pass: true },
  { flags: '--pids-limit <int>', desc: 'Tune container pids limit (set -1 for unlimited)', kind: 'str', to: 'HostConfig.PidsLimit' },
  { flags: '--platform <string>', desc: 'Set platform if server is multi-platform capable', kind: 'str', to: 'client' },
  { flags: '--privileged', desc: 'Give extended privileges to this container', kind: 'bool', to: 'HostConfig.Privileged' },
  { flags: '-p, --publish <list>', desc: "Publish a container's port(s) to the host", kind: 'list', to: ['HostConfig.PortBindings', 'Config.ExposedPorts'] },
  { flags: '-P, --publish-all', desc: 'Publish all exposed ports to random ports', kind: 'bool', to: 'HostConfig.PublishAllPorts' },
  { flags: '--pull <string>', desc: 'Pull image before running ("always", "missing", "never")', kind: 'str', to: 'client', dflt: 'missing' },
  { flags: '-q, --quiet', desc: 'Suppress the pull output', kind: 'bool', to: 'client' },
  { flags: '--read-only', desc: "Mount the container's root filesystem as read only", kind: 'bool', to: 'HostConfig.ReadonlyRootfs' },
  { flags: '--restart <string>', desc: 'Restart policy to apply when a container exits (default "no")', kind: 'str', to: 'HostConfig.RestartPolicy' },
  { flags: '--rm', desc: 'Automatically remove the container and its associated anonymous volumes when it exits', kind: 'bool', to: 'HostConfig.AutoRemove' },
  { flags: '--runtime <string>', desc: 'Runtime to use for this container', kind: 'str', to: 'HostConfig.Runtime' },
  { flags: '--security-opt <list>', desc: 'Security Options', kind: 'list', to: 'HostConfig.SecurityOpt' },
  { flags: '--shm-size <bytes>', desc: 'Size of /dev/shm', kind: 'str', to: 'HostConfig.ShmSize' },
  { flags: '--sig-proxy', desc: 'Proxy received signals to the process', kind: 'bool', to: 'client', runOnly: true, dflt: true },
  { flags: '--stop-signal <string>', desc: 'Signal to stop the container', kind: 'str', to: 'Config.StopSignal' },
  { flags: '--stop-timeout <int>', desc: 'Timeout (in seconds) to stop a container', kind: 'str', to: 'Config.StopTimeout' },
  { flags: '--storage-opt <list>', desc: 'Storage driver options for the container', kind: 'list', to: 'HostConfig.StorageOpt' },
  { flags: '--sysctl <map>', desc: 'Sysctl options', kind: 'list', to: 'HostConfig.Sysctls' },
  { flags: '--tmpfs <list>', desc: 'Mount a tmpfs directory', kind: 'list', to: 'HostConfig.Tmpfs' },
  { flags: '-t, --tty', desc: 'Allocate a pseudo-TTY', kind: 'bool', to: ['Config.Tty', 'HostConfig.ConsoleSize'] },
  { flags: '--ulimit <ulimit>', desc: 'Ulimit options', kind: 'list', to: 'HostConfig.Ulimits' },
  { flags: '-u, --user <string>', desc: 'Username or UID (format: <name|uid>[:<group|gid>])', kind: 'str', to: 'Config.User', pass: true },
  { flags: '--userns <string>', desc: 'User namespace to use', kind: 'str', to: 'HostConfig.UsernsMode', pass: true, check: (v) => (v === '' || v === 'host' ? undefined : '--userns: invalid USER mode') },
  { flags: '--uts <string>', desc: 'UTS namespace to use', kind: 'str', to: 'HostConfig.UTSMode', pass: true },
  { flags: '-v, --volume <list>', desc: 'Bind mount a volume', kind: 'list', to: ['HostConfig.Binds', 'Config.Volumes'] },
  { flags: '--volume-driver <string>', desc: 'Optional volume driver for the container', kind: 'str', to: 'HostConfig.VolumeDriver', pass: true },
  { flags: '--volumes-from <list>', desc: 'Mount volumes from the specified container(s)', kind: 'list', to: 'HostConfig.VolumesFrom' },
  { flags: '-w, --workdir <string>', desc: 'Working directory inside the container', kind: 'str', to: 'Config.WorkingDir', pass: true },
];

/** The flags that are a plain string field, with the options key commander gives them. */
export function passFlags(): { key: string; field: StringField; check?: RunFlag['check'] }[] {
  return RUN_FLAGS.filter((f) => f.pass).map((f) => ({ key: optionKey(f.flags), field: f.to as StringField, check: f.check }));
}

/** commander's attribute name of a flag: `--cgroup-parent <string>` → `cgroupParent`. */
export function optionKey(flags: string): string {
  return /--([\w-]+)/.exec(flags)![1]!.replace(/^no-/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Adds every run/create flag; `run` adds -d, --sig-proxy and --detach-keys. */
export function addRunFlags(cmd: DockerCommand, isRun: boolean): DockerCommand {
  for (const f of RUN_FLAGS) {
    if (f.runOnly && !isRun) continue;
    if (f.hidden) {
      const o = new Option(f.flags).hideHelp();
      cmd.addOption(f.kind === 'list' ? o.argParser(collect).default([]) : o);
    } else if (f.kind === 'list') cmd.option(f.flags, f.desc, collect, []);
    else if (f.kind === 'bool' && !f.flags.includes('--no-')) cmd.flag(f.flags, f.desc, f.dflt === true);
    else if (typeof f.dflt === 'string') cmd.option(f.flags, f.desc, f.dflt);
    else cmd.option(f.flags, f.desc);
  }
  cmd.operandsStopOptions();
  return cmd;
}
