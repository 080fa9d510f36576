/** `wharf events`: streams engine events (`--since`, `--until`, `--filter`, `--format`). */
import { Command } from 'commander';
import readline from 'node:readline';
import type { CliContext } from '../context.ts';
import { formatOne } from '../format.ts';
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
      const res = await ctx.client().stream('/events', { query: { since: cliTimestamp(opts.since), until: cliTimestamp(opts.until), filters: filtersParam(opts.filter) } });
      const rl = readline.createInterface({ input: res });
      for await (const line of rl) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as { timeNano: number; Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
        if (opts.format) { ctx.out.write(formatOne(opts.format, e) + '\n'); continue; }
        const t = new Date(e.timeNano / 1e6).toISOString().replace('Z', `${String(e.timeNano % 1e6).padStart(6, '0')}Z`).replace(/\.(\d{3})Z(\d{6})/, '.$1$2Z');
        const attrs = Object.entries(e.Actor.Attributes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(', ');
        ctx.out.write(`${t} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}\n`);
      }
    });
}
