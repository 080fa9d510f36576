/** `wharf ps`: list containers with docker's columns, filters, --format and -s sizes. */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../context.ts';
import { compileTemplate, TemplateError } from '../../common/go-template/index.ts';
import { newCommand } from '../docker-command.ts';
import { contextRow, formatList } from '../format.ts';
import { collect, filtersParam } from '../options.ts';
import { PS_HEADERS, psDefaultFormat, psRow, type ContainerSummary } from '../container-rows.ts';

interface PsOpts { all?: boolean; quiet?: boolean; latest?: boolean; last?: string; size?: boolean; trunc: boolean; filter: string[]; format?: string }

export default function ps(ctx: CliContext): Command {
  return newCommand('ps').description('List containers')
    .flag('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)')
    .flag('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .flag('-q, --quiet', 'Only display container IDs')
    .flag('-s, --size', 'Display total file sizes')
    .action(async (o: PsOpts) => {
      if (o.format && o.quiet) ctx.err.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
      if (!o.format && !o.quiet) o.format = ctx.config().cfg.psFormat || undefined; // config.json's psFormat
      if (o.format) validate(o.format);
      const limit = o.latest ? 1 : o.last !== undefined && Number(o.last) > 0 ? Number(o.last) : undefined;
      const list = await ctx.client().json<ContainerSummary[]>('/containers/json', {
        query: { all: o.all || limit !== undefined, limit, size: o.size || usesSize(o.format ?? ''), filters: filtersParam(o.filter) },
      });
      const rows = list.map((c) => psRow(c, o.trunc));
      if (o.quiet) {
        for (const r of rows) ctx.out.write(`${r.ID}\n`);
        return;
      }
      ctx.out.write(formatList(o.format, psDefaultFormat(!!o.size), rows.map((r) => ({ ...r, Platform: null })), { ...PS_HEADERS, Platform: 'PLATFORM' },
        { typeName: CONTEXT, labels: list.map((c) => c.Labels ?? {}) }));
    });
}

const CONTEXT = '*formatter.ContainerContext';

/** docker checks a --format on an empty container before listing. */
function validate(format: string): void {
  let tmpl;
  try {
    tmpl = compileTemplate(format === 'json' ? '{{json .}}' : format);
  } catch (e) {
    if (e instanceof TemplateError) throw new CliExit(1, `failed to parse template: ${e.message}`);
    throw e;
  }
  const empty = Object.fromEntries([...Object.keys(PS_HEADERS), 'Platform'].map((k) => [k, k === 'Platform' ? null : '']));
  const r = tmpl.executePartial(contextRow(empty, CONTEXT, {}));
  if (r.error) throw new CliExit(1, `failed to execute template: ${r.error.message}`);
}

/** docker asks for sizes when the template reads .Size (also through `json .`). */
function usesSize(format: string): boolean {
  return /\.Size\b/.test(format) || format === 'json' || /\{\{-?\s*json\s+\.\s*-?\}\}/.test(format);
}
