/**
 * `--format` through the docker CLI and through the wharf CLI, against the same wharfd:
 * stdout, stderr and exit code must be byte-identical. The format strings come from docker's
 * documentation (inspect, ps, images, version, info, …) and from common scripts; they cover
 * docker's Go types (nil slices/maps/pointers, missing fields, durations, times), inspect's
 * fallback to the raw map, and the formatter contexts of the list commands. Output that
 * depends on when it is read (RunningFor, "Up 2 seconds", CPU %) is left out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { startNetDaemon, type NetHarness } from './networking-harness.ts';

const hasDocker = (() => {
  try { execFileSync('docker', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

let h: NetHarness;
let d: TestDaemon;
let since = '';
let until = '';

before(async () => {
  if (!hasDocker) return;
  h = await startNetDaemon();
  d = h.d;
  since = String(Math.floor(Date.now() / 1000) - 1);
  await importBusybox(d, 'fmtbb:latest');
  const ok = async (args: string[]) => { const r = await d.cli(args); assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`); };
  await ok(['tag', 'fmtbb:latest', 'fmtbb:second']);
  await ok(['volume', 'create', '--label', 'env=prod', 'fmtvol']);
  await ok(['network', 'create', '--label', 'team=blue', '--subnet', h.subnet(), 'fmtnet']);
  await ok(['run', '-d', '--name', 'fmtweb', '-l', 'com.example.vendor=ACME', '-l', 'aa.first=1', '-e', 'A=1', '-e', 'B=two', '-p', '127.0.0.1:18080:80',
    '--health-cmd', 'true', '--health-interval', '1h', '--health-start-period', '1h', 'fmtbb', 'sleep', '1000']);
  await ok(['create', '--name', 'fmtidle', '-v', 'fmtvol:/data', '--network', 'fmtnet', '--restart', 'on-failure:3', '--ulimit', 'nofile=1024:2048', 'fmtbb']);
  until = String(Math.floor(Date.now() / 1000) + 1);
});
after(async () => { await h?.close(); });

type Case = [args: string[] | (() => string[]), format: string];

const C = (cmd: Case[0], ...formats: string[]): Case[] => formats.map((f) => [cmd, f]);

const CASES: Case[] = [
  // docker container inspect (docs: "docker inspect" examples and common scripts)
  ...C(['inspect', 'fmtweb'],
    '{{.Name}}', '{{.State.Status}}', '{{.State.Running}} {{.State.Paused}} {{.State.ExitCode}}', '{{.State.Health.Status}}',
    '{{json .State.Health.Log}}', '{{json .Config}}', '{{json .Config.Labels}}', '{{index .Config.Labels "com.example.vendor"}}',
    '{{index .Config.Labels "missing"}}', '{{.Config.Image}}', '{{.Config.Cmd}}', '{{json .Config.Cmd}}', '{{.Config.Entrypoint}}',
    '{{len .Config.Env}}', '{{range .Config.Env}}{{println .}}{{end}}', '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}',
    '{{.HostConfig.RestartPolicy.Name}}', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', '{{.HostConfig.NetworkMode}}',
    '{{json .HostConfig.PortBindings}}', '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}',
    '{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', '{{.NetworkSettings.IPAddress}}', '{{json .NetworkSettings.Networks}}',
    '{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Test}}', '{{.HostConfig.PidsLimit}}', '{{.Config.ExposedPorts}}',
    '{{len .Config.OnBuild}}', '{{.RestartCount}} {{.Created}}', '{{lower .State.Status}} {{upper .Name}}',
    '{{printf "%s:%d" .Name .RestartCount}}', '{{.HostConfig.LogConfig.Type}}', '{{.GraphDriver.Name}}', '{{.Platform}} {{.Driver}}',
    '{{.Foo}}', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', '{{.HostConfig.Dns}}',
    '{{json .HostConfig.Ulimits}}', '{{.Id}}', '{{.Config.Hostname}}', '{{with .State}}{{.Status}}{{end}}',
    // docs.docker.com "Format command and log output"
    '{{join .Args " , "}}', '{{split .Image ":"}}', '{{title .Name}}', '{{println .Name}}', '{{range .Mounts}}{{.Source}}{{end}}',
    '{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}', '{{.LogPath}}', '{{pad .Name 2 2}}|{{truncate .Id 12}}',
    '{{.Name}} {{.State.Health.Status}}', '{{.Path}} {{.Args}} {{len .Args}}',
    '{{.Id}} {{.State}}', '{{.Id}} {{json .HostConfig.RestartPolicy}} {{.HostConfig.Memory}}', '{{.Id}} {{printf "%v %s" .Config.Cmd .Name}}'),
  ...C(['container', 'inspect', 'fmtidle'],
    '{{.State.Health.Status}}', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}',
    '{{json .Mounts}}', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', '{{json .State}}',
    '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', '{{.State.StartedAt}}', '{{.HostConfig.Binds}}', '{{.State}}',
    '{{.HostConfig.Ulimits}}', '{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}{{end}}'),
  ...C(['inspect', 'fmtweb', 'fmtidle', 'nosuchthing'], '{{.Name}}', '{{.State.Health.Status}}', 'json'),
  // image inspect
  ...C(['image', 'inspect', 'fmtbb'],
    '{{.ID}}', '{{.Id}}', '{{.RepoTags}}', '{{json .RepoTags}}', '{{.Config.Cmd}}', '{{len .Config.OnBuild}}', '{{range .Config.OnBuild}}x{{end}}',
    '{{.Os}}/{{.Architecture}}', '{{.Size}}', '{{len .RootFS.Layers}} {{.RootFS.Type}}', '{{.Config.Entrypoint}}', '{{json .Config}}',
    '{{range .RepoDigests}}{{.}}{{end}}', '{{.Metadata.LastTagTime}}', '{{json .GraphDriver}}', '{{index .Config.Labels "x"}}', '{{.Config.Nope}}',
    // `.Id` is not a field of docker's struct (ID is): these run on the raw map, numbers as json.Number
    '{{.Id}} {{printf "%d" .Size}}', '{{.Id}} {{json .RootFS}}', '{{.Id}} {{eq .Size 0}}', '{{.Id}} {{.Size}} {{len .Size}}', '{{.Id}} {{json .Config}}'),
  // network and volume inspect
  ...C(['network', 'inspect', 'fmtnet'],
    '{{.Name}} {{.Driver}} {{.Scope}}', '{{json .IPAM.Config}}', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', '{{.Created}}',
    '{{json .Labels}}', '{{range $k, $v := .Containers}}{{$v.Name}} {{end}}', '{{.EnableIPv6}} {{.Internal}}', '{{json .}}', '{{.IPAM.Options}}'),
  ...C(['volume', 'inspect', 'fmtvol'],
    '{{.Mountpoint}}', '{{.Driver}} {{.Scope}}', '{{json .Labels}}', '{{.Options}}', '{{json .}}', '{{.UsageData}}', '{{.CreatedAt}}'),
  // version and info
  ...C(['version'],
    '{{.Server.Version}}', '{{.Server.APIVersion}}', '{{.Server.Os}}/{{.Server.Arch}}', '{{json .Server}}',
    '{{range .Server.Components}}{{.Name}} {{.Version}};{{end}}', '{{.Server.Components}}', '{{.Server.MinAPIVersion}}', '{{.Server.Foo}}', '{{.Client.Context}}', '{{.Foo'),
  ...C(['info'],
    '{{.ServerVersion}}', '{{.OSType}}|{{.Containers}}|{{.Images}}|{{.NCPU}}', '{{json .RegistryConfig.Mirrors}}', '{{.Driver}}',
    '{{json .Plugins}}', '{{.Swarm.LocalNodeState}}', '{{.Swarm.Cluster.ID}}', '{{json .RegistryConfig}}', '{{.SecurityOptions}}',
    '{{range .DriverStatus}}{{index . 0}}={{index . 1}};{{end}}', '{{.MemTotal}} {{.CgroupDriver}} {{.LiveRestoreEnabled}}', '{{.Foo}}',
    '{{.ContainersRunning}} running, {{.ContainersStopped}} stopped', '{{.Runtimes}}'),
  // list commands: docker's formatter contexts
  ...C(['ps', '-a', '--filter', 'name=fmt'],
    '{{.ID}}\t{{.Names}}', 'table {{.Names}}\t{{.Image}}\t{{.State}}', '{{.Label "com.example.vendor"}}', '{{.Labels}}', '{{.Ports}}',
    '{{.Mounts}}|{{.LocalVolumes}}', '{{.Networks}}', '{{.Command}}', '{{.Foo}}', '{{.CreatedAt}}', '{{.Platform}}', '{{.Names}}: {{.Size}}', '{{.Foo',
    'table {{.Names}}\t{{.Label "com.example.vendor"}}\t{{.Platform}}', 'table {{.ID}}\t{{.Mounts}}\t{{.Networks}}\t{{.LocalVolumes}}'),
  ...C(['images', 'fmtbb'],
    '{{.Repository}}:{{.Tag}}', '{{.ID}}', 'table {{.Repository}}\t{{.Tag}}\t{{.Size}}', '{{.Size}} {{.VirtualSize}}', '{{.Digest}}',
    '{{.CreatedAt}}', '{{json .Containers}}', '{{.Foo}}', 'table {{.ID}}\t{{.VirtualSize}}\t{{.SharedSize}}'),
  ...C(['images', '-q', 'fmtbb'], '{{.Repository}}:{{.Tag}}', 'table'),
  ...C(['images', '--digests', 'fmtbb'], 'table {{.Repository}}\t{{.Tag}}'),
  ...C(['ps', '-q', '--filter', 'name=fmt'], '{{.Names}}'),
  ...C(['history', 'fmtbb'], '{{.ID}}|{{.CreatedBy}}', '{{.Size}}|{{.Comment}}', 'table {{.ID}}\t{{.Size}}', '{{.Foo}}'),
  ...C(['stats', '--no-stream', 'fmtweb'], '{{.Name}}\t{{.ID}}', 'table {{.Container}}\t{{.Name}}', '{{.Foo}}'),
  ...C(['system', 'df'], '{{.Type}}\t{{.TotalCount}}\t{{.Active}}', 'table {{.Type}}\t{{.TotalCount}}', '{{.Foo}}'),
  ...C(['system', 'df', '-v'], '{{range .Images}}{{.Repository}}:{{.Tag}} {{.ID}} {{.Containers}} {{.Size}} {{.SharedSize}} {{.UniqueSize}}\\n{{end}}',
    '{{range .Containers}}{{.Names}} {{.Image}} {{.Command}} {{.LocalVolumes}} {{.Label "com.example.vendor"}}\\n{{end}}',
    '{{range .Volumes}}{{.Name}} {{.Links}} {{.Size}} {{.Label "env"}}\\n{{end}}', '{{len .BuildCache}}', '{{.Foo}}'),
  ...C(['network', 'ls', '--filter', 'name=fmtnet'], '{{.Name}}\t{{.Driver}}\t{{.Scope}}', '{{.Label "team"}}', '{{.IPv6}} {{.Internal}}', '{{json .}}',
    'table {{.Name}}\t{{.CreatedAt}}\t{{.IPv4}}\t{{.Label "team"}}'),
  ...C(['volume', 'ls', '--filter', 'name=fmtvol'], '{{.Name}}\t{{.Driver}}', '{{.Label "env"}}', '{{json .}}', '{{.Foo}}'),
  // events, replayed between two fixed times
  ...C(() => ['events', '--since', since, '--until', until, '--filter', 'type=container'],
    '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}', '{{json .}}', '{{.Status}} {{.From}}', '{{.Foo}}', '{{index .Actor.Attributes "image"}}'),
];

test('at least 60 format strings are compared', () => {
  assert.ok(CASES.length >= 60, String(CASES.length));
});

for (const [cmd, format] of CASES) {
  const name = `${typeof cmd === 'function' ? 'events' : cmd.join(' ')} --format '${format}'`;
  test(name, { skip: !hasDocker && 'no docker CLI' }, async () => {
    const args = typeof cmd === 'function' ? cmd() : cmd;
    const withFormat = [...args.slice(0, args.length), '--format', format.replace(/\\t/g, '\\t')];
    const [ours, theirs] = await Promise.all([d.cli(withFormat), d.docker(withFormat)]);
    assert.equal(ours.stdout, theirs.stdout, 'stdout');
    assert.equal(ours.stderr.replace(/\n$/, ''), theirs.stderr.replace(/\n$/, ''), 'stderr');
    assert.equal(ours.code, theirs.code, 'exit code');
  });
}
