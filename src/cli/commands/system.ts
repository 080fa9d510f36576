/** `wharf system df` and `wharf system prune`. */
import type { Command } from 'commander';
import { ApiError } from '../../client/client.ts';
import { humanSize } from '../../common/human.ts';
import type { CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { dfVerbose, dfVerboseFormat, type VerboseDf } from '../df-verbose.ts';
import { formatList } from '../format.ts';
import { collect, filtersParam } from '../options.ts';
import { confirm } from './images.ts';

interface Df {
  LayersSize?: number;
  Images?: Array<{ Size: number; SharedSize: number; Containers: number }> | null;
  Containers?: Array<{ SizeRw?: number; State: string }> | null;
  Volumes?: Array<{ UsageData?: { Size: number; RefCount: number } | null }> | null;
  BuildCache?: Array<{ Size: number; InUse: boolean; Shared: boolean }> | null;
}

function reclaim(amount: number, total: number): string {
  return total > 0 ? `${humanSize(amount, 4)} (${Math.trunc((amount / total) * 100)}%)` : humanSize(amount, 4);
}

/** The four `system df` rows, like docker's DiskUsageContext. */
export function dfRows(d: Df): Array<Record<string, string>> {
  const images = d.Images ?? [];
  const imgTotal = d.LayersSize ?? images.reduce((s, i) => s + i.Size, 0);
  let used = 0;
  for (const i of images) if (i.Containers > 0) used += i.Size - Math.max(0, i.SharedSize);
  const activeImages = images.filter((i) => i.Containers > 0).length;
  const containers = d.Containers ?? [];
  const cTotal = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.filter((c) => !['running', 'paused', 'restarting'].includes(c.State)).reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const vols = d.Volumes ?? [];
  const vTotal = vols.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const vReclaim = vols.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const bc = d.BuildCache ?? [];
  const bTotal = bc.reduce((s, b) => s + b.Size, 0);
  const bReclaim = bc.filter((b) => !b.InUse && !b.Shared).reduce((s, b) => s + b.Size, 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(activeImages), Size: humanSize(imgTotal, 4), Reclaimable: reclaim(Math.max(0, imgTotal - used), imgTotal) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.length - containers.filter((c) => !['running', 'paused', 'restarting'].includes(c.State)).length), Size: humanSize(cTotal, 4), Reclaimable: reclaim(cReclaim, cTotal) },
    { Type: 'Local Volumes', TotalCount: String(vols.length), Active: String(vols.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vTotal, 4), Reclaimable: reclaim(vReclaim, vTotal) },
    { Type: 'Build Cache', TotalCount: String(bc.length), Active: String(bc.filter((b) => b.InUse).length), Size: humanSize(bTotal, 4), Reclaimable: humanSize(bReclaim, 4) },
  ];
}

export function systemDf(ctx: CliContext): Command {
  return newCommand('df').description('Show docker disk usage')
    .option('--format <string>', 'Format output using a custom template')
    .flag('-v, --verbose', 'Show detailed information on space usage')
    .action(async (o: { format?: string; verbose?: boolean }) => {
      const d = await ctx.client().json<Df>('/system/df');
      if (o.verbose && (!o.format || o.format === 'table')) { ctx.out.write(dfVerbose(d as VerboseDf)); return; }
      if (o.verbose) { ctx.out.write(dfVerboseFormat(d as VerboseDf, o.format!)); return; }
      ctx.out.write(formatList(o.format, 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', dfRows(d),
        { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
        { typeNames: ['Images', 'Containers', 'Volumes', 'Builder'].map((k) => `*formatter.diskUsage${k}Context`) }));
    });
}

export function systemPrune(ctx: CliContext): Command {
  return newCommand('prune').description('Remove unused data')
    .flag('-a, --all', 'Remove all unused images not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect, [])
    .flag('-f, --force', 'Do not prompt for confirmation')
    .flag('--volumes', 'Prune anonymous volumes')
    .action(async (o: { all?: boolean; filter: string[]; force?: boolean; volumes?: boolean }) => {
      const items = ['all stopped containers', 'all networks not used by at least one container', ...(o.volumes ? ['all anonymous volumes not used by at least one container'] : []),
        o.all ? 'all images without at least one container associated to them' : 'all dangling images', o.all ? 'all build cache' : 'unused build cache'];
      const warning = `WARNING! This will remove:\n${items.map((i) => `  - ${i}`).join('\n')}\n`;
      if (!o.force && !(await confirm(ctx, warning))) return;
      const c = ctx.client();
      const post = <T>(p: string, filters: string[]) => c.json<T>(p, { method: 'POST', query: { filters: filtersParam(filters) } });
      let total = 0;
      const cr = await post<{ ContainersDeleted?: string[] | null; SpaceReclaimed: number }>('/containers/prune', o.filter);
      total += cr.SpaceReclaimed ?? 0;
      if (cr.ContainersDeleted?.length) ctx.out.write(`Deleted Containers:\n${cr.ContainersDeleted.join('\n')}\n\n`);
      const nr = await post<{ NetworksDeleted?: string[] | null }>('/networks/prune', o.filter);
      if (nr.NetworksDeleted?.length) ctx.out.write(`Deleted Networks:\n${nr.NetworksDeleted.join('\n')}\n\n`);
      if (o.volumes) {
        const vr = await post<{ VolumesDeleted?: string[] | null; SpaceReclaimed: number }>('/volumes/prune', o.filter);
        total += vr.SpaceReclaimed ?? 0;
        if (vr.VolumesDeleted?.length) ctx.out.write(`Deleted Volumes:\n${vr.VolumesDeleted.join('\n')}\n\n`);
      }
      const ir = await post<{ ImagesDeleted?: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('/images/prune', [...o.filter, `dangling=${o.all ? 'false' : 'true'}`]);
      total += ir.SpaceReclaimed ?? 0;
      if (ir.ImagesDeleted?.length) ctx.out.write(`Deleted Images:\n${ir.ImagesDeleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`)).join('\n')}\n\n`);
      try {
        const br = await c.json<{ SpaceReclaimed: number }>('/build/prune', { method: 'POST', query: { all: o.all, filters: filtersParam(o.filter) } });
        total += br?.SpaceReclaimed ?? 0;
      } catch (err) {
        // A daemon without a build cache answers 404; anything else (a bad filter) is the user's to see.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
      ctx.out.write(`Total reclaimed space: ${humanSize(total, 3)}\n`);
    });
}

/** `wharf system` alone: the management command's help (its verbs resolve through MANAGEMENT). */
export default function system(ctx: CliContext): Command {
  const cmd = newCommand('system').description('Manage Docker');
  cmd.addCommand(systemDf(ctx));
  cmd.addCommand(newCommand('events').description('Get real time events from the server'));
  cmd.addCommand(newCommand('info').description('Display system-wide information'));
  cmd.addCommand(systemPrune(ctx));
  cmd.action(() => { ctx.out.write(cmd.helpInformation()); });
  return cmd;
}
