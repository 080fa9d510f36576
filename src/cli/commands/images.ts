/** Local image commands: images, rmi, tag, history, image prune. */
import readline from 'node:readline';
import type { Command } from 'commander';
import { humanSize } from '../../common/human.ts';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { formatList } from '../format.ts';
import { collect, filtersParam } from '../options.ts';
import { HISTORY_FORMAT, HISTORY_HEADERS, IMAGE_HEADERS, historyRows, imageRows, imagesDefaultFormat, type HistoryItem, type ImageSummary } from '../image-rows.ts';
import { eachTarget } from './container-lifecycle.ts';

export default function images(ctx: CliContext): Command {
  return newCommand('images').description('List images').argument('[repository]')
    .flag('-a, --all', 'Show all images (default hides intermediate images)')
    .flag('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .flag('-q, --quiet', 'Only show image IDs')
    .action(async (repo: string | undefined, o: { all?: boolean; digests?: boolean; filter: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      if (!o.format && !o.quiet) o.format = ctx.config().cfg.imagesFormat || undefined; // config.json's imagesFormat
      const filters = [...o.filter, ...(repo ? [`reference=${repo}`] : [])];
      const list = await ctx.client().json<ImageSummary[]>('/images/json', { query: { all: o.all, filters: filtersParam(filters) } });
      const rows = imageRows(list, { trunc: o.trunc, digests: !!o.digests || (o.format ?? '').includes('.Digest') });
      // docker's NewImageFormat: -q only with no format or `table`; a custom format wins; a table
      // format with --digests gets the digest column when it lacks one. One line per tag, as docker.
      let format = o.format;
      if (!format || format === 'table') format = o.quiet ? '{{.ID}}' : undefined;
      else if (format.startsWith('table') && o.digests && !format.includes('{{.Digest}}')) format += '\t{{.Digest}}';
      ctx.out.write(formatList(format, imagesDefaultFormat(!!o.digests), rows, IMAGE_HEADERS, { typeName: '*formatter.imageContext' }));
    });
}

export function rmi(ctx: CliContext): Command {
  return newCommand('rmi').description('Remove one or more images').argument('<images...>')
    .flag('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action(async (names: string[], o: { force?: boolean; prune: boolean }) => {
      await eachTarget(ctx, names, async (name) => {
        const res = await ctx.client().json<Array<{ Untagged?: string; Deleted?: string }>>(`/images/${encodeURIComponent(name)}`, { method: 'DELETE', query: { force: o.force, noprune: !o.prune } });
        const lines = (res ?? []).map((r) => (r.Untagged ? `Untagged: ${r.Untagged}` : `Deleted: ${r.Deleted}`));
        return lines.length ? lines.join('\n') : undefined;
      });
    });
}

export function tag(ctx: CliContext): Command {
  return newCommand('tag').description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE').argument('[source]').argument('[target]')
    .action(async (source: string | undefined, target: string | undefined) => {
      if (!source || !target) throw new CliExit(1, `wharf: 'tag' requires 2 arguments.\nSee 'wharf tag --help'.\n\nUsage:  wharf tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n`);
      let repo = target;
      let t: string | undefined;
      const colon = target.lastIndexOf(':');
      if (colon > target.lastIndexOf('/')) { repo = target.slice(0, colon); t = target.slice(colon + 1); }
      await ctx.client().json(`/images/${encodeURIComponent(source)}/tag`, { method: 'POST', query: { repo, tag: t } });
    });
}

export function history(ctx: CliContext): Command {
  return newCommand('history').description('Show the history of an image').argument('<image>')
    .option('--format <string>', 'Format output using a custom template')
    .flag('-H, --human', 'Print sizes and dates in human readable format', true)
    .option('--no-trunc', "Don't truncate output")
    .flag('-q, --quiet', 'Only show image IDs')
    .option('--platform <string>', 'Show history for the given platform')
    .action(async (image: string, o: { format?: string; human: boolean; trunc: boolean; quiet?: boolean; platform?: string }) => {
      const items = await ctx.client().json<HistoryItem[]>(`/images/${encodeURIComponent(image)}/history`, { query: { platform: o.platform } });
      const rows = historyRows(items, { trunc: o.trunc, human: o.human });
      if (o.quiet) { for (const r of rows) ctx.out.write(`${r.ID}\n`); return; }
      ctx.out.write(formatList(o.format, HISTORY_FORMAT, rows, HISTORY_HEADERS, { typeName: '*image.historyContext' }));
    });
}

/** Asks `[y/N]` on the terminal; false when stdin is not interactive and nothing is typed. */
export async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.out.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const rl = readline.createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => { rl.once('line', resolve); rl.once('close', () => resolve('')); });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export function imagePrune(ctx: CliContext): Command {
  return newCommand('prune').description('Remove unused images')
    .flag('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .flag('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; filter: string[]; force?: boolean }) => {
      const warning = o.all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
      if (!o.force && !(await confirm(ctx, warning))) return;
      const filters = [...o.filter, `dangling=${o.all ? 'false' : 'true'}`];
      const r = await ctx.client().json<{ ImagesDeleted?: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('/images/prune', { method: 'POST', query: { filters: filtersParam(filters) } });
      printPruned(ctx, 'Deleted Images:', (r.ImagesDeleted ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`)), r.SpaceReclaimed);
    });
}

export function printPruned(ctx: CliContext, title: string, lines: string[], reclaimed: number): void {
  if (lines.length) ctx.out.write(`${title}\n${lines.join('\n')}\n\n`);
  ctx.out.write(`Total reclaimed space: ${humanSize(reclaimed, 3)}\n`);
}
