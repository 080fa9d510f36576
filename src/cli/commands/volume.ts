/** `wharf volume create|ls|inspect|rm|prune`. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { formatList } from '../format.ts';
import { humanSize } from '../../common/human.ts';
import { collect, filtersParam } from '../options.ts';
import { toMap } from '../spec-parse.ts';
import { eachTarget } from './container-lifecycle.ts';
import { confirm, printPruned } from './images.ts';
import { typedInspect } from './inspect.ts';

interface Volume { Name: string; Driver: string; Mountpoint: string; Labels?: Record<string, string> | null; Scope: string; Options?: Record<string, string> | null; UsageData?: { Size: number; RefCount: number } | null }

export default function volume(ctx: CliContext): Command {
  const cmd = newCommand('volume').description('Manage volumes');
  cmd.addCommand(newCommand('create').description('Create a volume').argument('[name]')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect, [])
    .option('-o, --opt <map>', 'Set driver specific options', collect, [])
    .action(async (name: string | undefined, o: { driver: string; label: string[]; opt: string[] }) => {
      const v = await ctx.client().json<Volume>('/volumes/create', { method: 'POST', body: { Name: name ?? '', Driver: o.driver, DriverOpts: toMap(o.opt), Labels: toMap(o.label) } });
      ctx.out.write(`${v.Name}\n`);
    }));
  cmd.addCommand(newCommand('ls').alias('list').description('List volumes')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "dangling=true")', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .flag('-q, --quiet', 'Only display volume names')
    .action(async (o: { filter: string[]; format?: string; quiet?: boolean }) => {
      const r = await ctx.client().json<{ Volumes: Volume[] | null }>('/volumes', { query: { filters: filtersParam(o.filter) } });
      const vols = (r.Volumes ?? []).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
      if (o.quiet) { for (const v of vols) ctx.out.write(`${v.Name}\n`); return; }
      const rows = vols.map((v) => ({ Name: v.Name, Driver: v.Driver, Scope: v.Scope, Mountpoint: v.Mountpoint, Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
        Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A', Size: v.UsageData ? humanSize(v.UsageData.Size, 4) : 'N/A',
        Group: 'N/A', Availability: 'N/A', Status: 'N/A' }));
      ctx.out.write(formatList(o.format, 'table {{.Driver}}\t{{.Name}}', rows, { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Group: 'GROUP', Availability: 'AVAILABILITY', Status: 'STATUS' },
        { typeName: '*formatter.volumeContext', labels: vols.map((v) => v.Labels ?? {}) }));
    }));
  cmd.addCommand(typedInspect(ctx, 'volume'));
  cmd.addCommand(newCommand('rm').alias('remove').description('Remove one or more volumes').argument('<volumes...>')
    .flag('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], o: { force?: boolean }) => {
      await eachTarget(ctx, names, async (n) => { await ctx.client().json(`/volumes/${encodeURIComponent(n)}`, { method: 'DELETE', query: { force: o.force } }); return n; });
    }));
  cmd.addCommand(newCommand('prune').description('Remove unused local volumes')
    .flag('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect, [])
    .flag('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; filter: string[]; force?: boolean }) => {
      if (!o.force && !(await confirm(ctx, 'WARNING! This will remove anonymous local volumes not used by at least one container.'))) return;
      const filters = [...o.filter, ...(o.all ? ['all=true'] : [])];
      const r = await ctx.client().json<{ VolumesDeleted?: string[] | null; SpaceReclaimed: number }>('/volumes/prune', { method: 'POST', query: { filters: filtersParam(filters) } });
      printPruned(ctx, 'Deleted Volumes:', r.VolumesDeleted ?? [], r.SpaceReclaimed);
    }));
  cmd.action(() => { ctx.out.write(cmd.helpInformation()); });
  return cmd;
}
