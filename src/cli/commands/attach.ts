/** `wharf attach`: attach the terminal to a running container. */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { runAttached } from '../run-flow.ts';

export default function attach(ctx: CliContext): Command {
  return newCommand('attach').description('Attach local standard input, output, and error streams to a running container').argument('<container>')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .flag('--sig-proxy', 'Proxy all received signals to the process', true)
    .action(async (id: string, o: { detachKeys?: string; stdin?: boolean; sigProxy: boolean }) => {
      const c = await ctx.client().json<{ Id: string; State: { Running: boolean; Paused: boolean; Restarting: boolean }; Config: { Tty: boolean; OpenStdin: boolean } }>(`/containers/${id}/json`);
      if (!c.State.Running) throw new CliExit(1, 'You cannot attach to a stopped container, start it first');
      if (c.State.Paused) throw new CliExit(1, 'You cannot attach to a paused container, unpause it first');
      if (c.State.Restarting) throw new CliExit(1, 'You cannot attach to a restarting container, wait until it is running');
      const stdin = o.stdin !== false && c.Config.OpenStdin;
      if (stdin && c.Config.Tty && !process.stdin.isTTY) throw new CliExit(1, 'the input device is not a TTY');
      process.exitCode = await runAttached(ctx, { id: c.Id, tty: c.Config.Tty, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys ?? ctx.config().cfg.detachKeys, sigProxy: o.sigProxy, autoRemove: false, start: false });
    });
}
