/** `wharf exec`: run a command in a running container; exits with its exit code. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { collect } from '../options.ts';
import { FlagError, expandEnv, parseEnvFile } from '../spec-parse.ts';
import { monitorTtySize, pumpHijacked } from '../stream.ts';
import { startErrorCode } from '../run-flow.ts';

interface ExecOpts { detach?: boolean; interactive?: boolean; tty?: boolean; env: string[]; envFile: string[]; user?: string; workdir?: string; privileged?: boolean; detachKeys?: string }

export default function exec(ctx: CliContext): Command {
  return newCommand('exec').description('Execute a command in a running container').usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
    .argument('[container]').argument('[command...]')
    .flag('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .flag('-i, --interactive', 'Keep STDIN open even if not attached')
    .flag('--privileged', 'Give extended privileges to the command')
    .flag('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .operandsStopOptions()
    .action(async (id: string | undefined, cmd: string[], o: ExecOpts) => {
      o.detachKeys ??= ctx.config().cfg.detachKeys;
      if (!id || !cmd.length) throw new CliExit(1, `wharf: 'exec' requires at least 2 arguments.\nSee 'wharf exec --help'.\n\nUsage:  wharf exec [OPTIONS] CONTAINER COMMAND [ARG...]\n`);
      let env: string[];
      try {
        env = [...o.envFile.flatMap((f) => parseEnvFile(fs.readFileSync(f, 'utf8'), f)), ...o.env.map((e) => expandEnv(e))];
      } catch (e) {
        throw new CliExit(1, (e instanceof FlagError ? '' : 'wharf: ') + (e as Error).message);
      }
      const tty = !!o.tty;
      if (o.interactive && tty && !process.stdin.isTTY && !o.detach) throw new CliExit(1, 'the input device is not a TTY');
      const client = ctx.client();
      const created = await client.json<{ Id: string }>(`/containers/${id}/exec`, {
        method: 'POST',
        body: {
          User: o.user ?? '', Privileged: !!o.privileged, Tty: tty, AttachStdin: !!o.interactive && !o.detach, AttachStdout: !o.detach, AttachStderr: !o.detach,
          DetachKeys: o.detachKeys ?? '', Env: env, WorkingDir: o.workdir ?? '', Cmd: cmd,
          ConsoleSize: tty && ctx.out.isTTY ? [ctx.out.rows, ctx.out.columns] : undefined,
        },
      });
      if (o.detach) {
        await client.json(`/exec/${created.Id}/start`, { method: 'POST', body: { Detach: true, Tty: tty } });
        return;
      }
      let session;
      try {
        session = await client.hijack(`/exec/${created.Id}/start`, { method: 'POST', body: { Detach: false, Tty: tty } });
      } catch (e) {
        throw new CliExit(startErrorCode((e as Error).message), `Error response from daemon: ${(e as Error).message}`);
      }
      const stopResize = tty ? monitorTtySize(ctx.out, (h, w) => client.json(`/exec/${created.Id}/resize`, { method: 'POST', query: { h, w } })) : () => {};
      try {
        const how = await pumpHijacked(session.socket, session.head, { stdin: process.stdin, out: ctx.out, err: ctx.err }, { tty, stdin: !!o.interactive, detachKeys: o.detachKeys });
        if (how === 'detached') { setImmediate(() => process.exit(0)); return; }
      } finally {
        stopResize();
      }
      const info = await client.json<{ ExitCode: number | null; Running: boolean }>(`/exec/${created.Id}/json`);
      process.exitCode = info.ExitCode ?? 0;
    });
}
