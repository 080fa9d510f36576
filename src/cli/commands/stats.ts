/** `wharf stats`: live (or --no-stream) resource usage per container, redrawn in place on a terminal. */
import readline from 'node:readline';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { formatList } from '../format.ts';
import { STATS_FORMAT, STATS_HEADERS, statsRow, type StatsJson, type StatsRow } from '../stats-rows.ts';

export default function stats(ctx: CliContext): Command {
  return newCommand('stats').description('Display a live stream of container(s) resource usage statistics').argument('[containers...]')
    .flag('-a, --all', 'Show all containers (default shows just running)')
    .option('--format <string>', 'Format output using a custom template')
    .flag('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', "Do not truncate output")
    .action(async (names: string[], o: { all?: boolean; format?: string; stream?: boolean; trunc: boolean }) => {
      const client = ctx.client();
      let ids = names;
      if (!ids.length) ids = (await client.json<Array<{ Id: string }>>('/containers/json', { query: { all: o.all } })).map((c) => c.Id);
      const render = (rows: StatsRow[]) => formatList(o.format, STATS_FORMAT, rows, STATS_HEADERS, { typeName: '*container.statsContext' });
      if (o.stream === false) {
        const rows = await Promise.all(ids.map(async (id) => statsRow(id, await client.json<StatsJson>(`/containers/${id}/stats`, { query: { stream: 'false' } }), o.trunc)));
        ctx.out.write(render(rows));
        return;
      }
      const latest = new Map<string, StatsRow>();
      for (const id of ids) {
        void (async () => {
          const res = await client.stream(`/containers/${id}/stats`, { query: { stream: true } });
          for await (const line of readline.createInterface({ input: res })) {
            if (line.trim()) latest.set(id, statsRow(id, JSON.parse(line) as StatsJson, o.trunc));
          }
          latest.delete(id);
        })().catch(() => latest.delete(id)); // a container that goes away leaves the table, as in docker
      }
      const term = !!ctx.out.isTTY;
      const timer = setInterval(() => {
        const rows = ids.map((id) => latest.get(id)).filter((r): r is StatsRow => !!r);
        ctx.out.write((term ? '\x1b[2J\x1b[H' : '') + render(rows));
      }, 1000);
      await new Promise<void>((resolve) => process.once('SIGINT', () => { clearInterval(timer); resolve(); }));
      process.exit(0);
    });
}
