/** `wharf events`: streams engine events (`--since`, `--until`, `--filter`, `--format`). */
import { Command } from 'commander';
import readline from 'node:readline';
import type { CliContext } from '../context.ts';
import { formatOne } from '../format.ts';
import { filtersParam, collect } from '../options.ts';

/** Docker accepts unix times, RFC 3339 and durations ("10m") relative to now. */
export function toTimestamp(v: string | undefined, now = Date.now()): string | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (m) {
    const mult = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2] as 'ns'];
    return (now / 1000 - Number(m[1]) * mult).toFixed(9);
  }
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  const t = Date.parse(v);
  if (!Number.isNaN(t)) return (t / 1000).toFixed(9);
  return v;
}

export default function eventsCommand(ctx: CliContext): Command {
  return new Command('events')
    .description('Get real time events from the server')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .action(async (opts: { filter: string[]; format?: string; since?: string; until?: string }) => {
      const res = await ctx.client().stream('/events', { query: { since: toTimestamp(opts.since), until: toTimestamp(opts.until), filters: filtersParam(opts.filter) } });
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
