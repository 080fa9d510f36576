/** `wharf info`: system-wide information, laid out like `docker info`. */
import { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { formatTyped, parseFormat } from '../format.ts';
import { TemplateError } from '../../common/go-template/index.ts';
import { CLIENT } from './version.ts';

type Gpu = { Index: number; Name: string; UUID: string; BusId: string };
type Info = Record<string, unknown> & { GPUs?: Gpu[]; GPUDriverVersion?: string; CDISpecDirs?: string[]; DiscoveredDevices?: { Source: string; ID: string }[]; DriverStatus?: [string, string][]; Warnings?: string[]; RegistryConfig?: { InsecureRegistryCIDRs?: string[]; Mirrors?: string[] } };

export default function infoCommand(ctx: CliContext): Command {
  return new Command('info')
    .description('Display system-wide information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (opts: { format?: string }) => {
      if (opts.format) parseFormat(opts.format);
      const info = await ctx.client().json<Info>('/info');
      if (opts.format) {
        // docker's dockerInfo: the server's Info with the client's beside it
        const data = { ...info, ClientInfo: { Debug: !!ctx.globals.debug, ...CLIENT, Plugins: [], Warnings: null } };
        try {
          ctx.out.write(formatTyped(opts.format, 'system.dockerInfo', data) + '\n');
        } catch (e) {
          if (!(e instanceof TemplateError)) throw e;
          ctx.out.write(((e as TemplateError & { partial?: string }).partial ?? '') + '\n');
          throw e;
        }
        return;
      }
      const i = info as Record<string, string | number | boolean>;
      const lines = ['Client:', ' Version:    0.1.0', ' Context:    default', ` Debug Mode: ${!!ctx.globals.debug}`, '', 'Server:',
        ` Containers: ${i.Containers}`, `  Running: ${i.ContainersRunning}`, `  Paused: ${i.ContainersPaused}`, `  Stopped: ${i.ContainersStopped}`,
        ` Images: ${i.Images}`, ` Server Version: ${i.ServerVersion}`, ` Storage Driver: ${i.Driver}`];
      for (const [k, v] of info.DriverStatus ?? []) lines.push(`  ${k}: ${v}`);
      lines.push(` Logging Driver: ${i.LoggingDriver}`, ` Cgroup Driver: ${i.CgroupDriver}`, ` Cgroup Version: ${i.CgroupVersion}`,
        ` Runtimes: ${Object.keys(info.Runtimes as object).join(' ')}`, ` Default Runtime: ${i.DefaultRuntime}`,
        ` Kernel Version: ${i.KernelVersion}`, ` Operating System: ${i.OperatingSystem}`, ` OSType: ${i.OSType}`, ` Architecture: ${i.Architecture}`,
        ` CPUs: ${i.NCPU}`, ` Total Memory: ${(Number(i.MemTotal) / 1024 ** 3).toFixed(2)}GiB`, ` Name: ${i.Name}`, ` ID: ${i.ID}`,
        ` Docker Root Dir: ${i.DockerRootDir}`, ` Debug Mode: ${i.Debug}`);
      // docker's fprintlnNonEmpty: the daemon's proxies (credentials masked by the daemon)
      for (const [label, v] of [['HTTP Proxy', i.HttpProxy], ['HTTPS Proxy', i.HttpsProxy], ['No Proxy', i.NoProxy]]) if (v) lines.push(` ${label}: ${v}`);
      lines.push(` Experimental: ${i.ExperimentalBuild}`, ' Insecure Registries:');
      for (const r of info.RegistryConfig?.InsecureRegistryCIDRs ?? []) lines.push(`  ${r}`);
      if (info.RegistryConfig?.Mirrors?.length) { lines.push(' Registry Mirrors:'); for (const m of info.RegistryConfig.Mirrors) lines.push(`  ${m}`); }
      lines.push(` Live Restore Enabled: ${i.LiveRestoreEnabled}`);
      if (info.GPUDriverVersion || info.GPUs?.length) {
        lines.push(` GPUs: ${info.GPUs?.length ?? 0}`, `  NVIDIA Driver Version: ${info.GPUDriverVersion || 'unknown'}`);
        for (const g of info.GPUs ?? []) lines.push(`  ${g.Index}: ${g.Name || 'NVIDIA GPU'}${g.UUID ? ` (${g.UUID})` : ''}${g.BusId ? ` ${g.BusId}` : ''}`);
      }
      if (info.CDISpecDirs?.length) { lines.push(' CDI spec directories:'); for (const d of info.CDISpecDirs) lines.push(`  ${d}`); }
      if (info.DiscoveredDevices?.length) { lines.push(' Discovered Devices:'); for (const d of info.DiscoveredDevices) lines.push(`  ${d.Source}: ${d.ID}`); }
      lines.push('');
      ctx.out.write(lines.join('\n') + '\n');
      for (const w of info.Warnings ?? []) ctx.err.write(`WARNING: ${w}\n`);
    });
}
