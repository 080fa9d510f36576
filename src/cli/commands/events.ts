/** `wharf events`: streams engine events (`--since`, `--until`, `--filter`, `--format`). */
import { Command } from 'commander';
import readline from 'node:readline';
import type { CliContext } from '../context.ts';
import { CliExit } from '../context.ts';
import { compileTemplate, TemplateError } from '../../common/go-template/index.ts';
import { typed } from '../format.ts';
import { filtersParam, collect } from '../options.ts';
import { cliTimestamp } from '../../api/types/docker-time.ts';

export default function eventsCommand(ctx: CliContext): Command {
  return new Command('events')
    .description('Get real time events from the server')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .action(async (opts: { filter: string[]; format?: string; since?: string; until?: string }) => {
      const tmpl = opts.format ? eventTemplate(opts.format) : undefined;
      const res = await ctx.client().stream('/events', { query: { since: cliTimestamp(opts.since), until: cliTimestamp(opts.until), filters: filtersParam(opts.filter) } });
      const rl = readline.createInterface({ input: res });
      for await (const line of rl) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as { timeNano: number; Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
        if (tmpl) {
          const r = tmpl.executePartial(typed('*events.Message', e));
          ctx.out.write(`${r.output}\n`);
          if (r.error) throw new CliExit(1, r.error.message);
          continue;
        }
        const t = new Date(e.timeNano / 1e6).toISOString().replace('Z', `${String(e.timeNano % 1e6).padStart(6, '0')}Z`).replace(/\.(\d{3})Z(\d{6})/, '.$1$2Z');
        const attrs = Object.entries(e.Actor.Attributes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(', ');
        ctx.out.write(`${t} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}\n`);
      }
    });
}

/** docker's makeTemplate: parsed, then tried on an empty message; failures exit 64. */
function eventTemplate(format: string) {
  try {
    const tmpl = compileTemplate(format === 'json' ? '{{json .}}' : format);
    tmpl.execute(typed('*events.Message', {}));
    return tmpl;
  } catch (e) {
    if (e instanceof TemplateError) throw new CliExit(64, `Error parsing format: ${e.message}`);
    throw e;
  }
}
