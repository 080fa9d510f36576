/** `wharf logs`: fetch or follow a container's logs, demultiplexed unless it has a TTY. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { copyOutput } from '../stream.ts';
import { cliTimestamp } from '../../api/types/docker-time.ts';

export default function logs(ctx: CliContext): Command {
  return newCommand('logs').description('Fetch the logs of a container').argument('<container>')
    .flag('--details', 'Show extra details provided to logs')
    .flag('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .flag('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .action(async (id: string, o: { details?: boolean; follow?: boolean; since?: string; tail: string; timestamps?: boolean; until?: string }) => {
      const c = await ctx.client().json<{ Config: { Tty: boolean } }>(`/containers/${id}/json`);
      const res = await ctx.client().stream(`/containers/${id}/logs`, {
        query: { stdout: true, stderr: true, follow: o.follow, since: cliTimestamp(o.since), until: cliTimestamp(o.until), timestamps: o.timestamps, details: o.details, tail: o.tail },
      });
      await copyOutput(res, { out: ctx.out, err: ctx.err }, c.Config.Tty);
    });
}
