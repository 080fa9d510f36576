/** `wharf run` and `wharf create`: flags → create body, pull on demand, attach/start/wait. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { parseBytes } from '../../common/human.ts';
import { CliExit, configProxyArgs, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { buildCreateBody } from '../run-flags.ts';
import { addRunFlags, type RunOpts } from '../run-options.ts';
import { createContainer, runAttached } from '../run-flow.ts';
import { FlagError } from '../spec-parse.ts';

function body(ctx: CliContext, o: RunOpts, image: string, args: string[], isRun: boolean) {
  // docker's ParseProxyConfig: config.json's proxies as -e values the command line lacks.
  const proxyEnv = configProxyArgs(ctx, o.env ?? []);
  if (proxyEnv.length) o = { ...o, env: [...(o.env ?? []), ...proxyEnv] };
  try {
    return buildCreateBody(o, image, args, {
      cwd: process.cwd(),
      readFile: (p) => {
        try { return fs.readFileSync(p, 'utf8'); } catch (e) { throw new FlagError(`open ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`); }
      },
      lookupEnv: (k) => process.env[k],
      parseBytes,
      consoleSize: ctx.out.isTTY ? [ctx.out.rows, ctx.out.columns] : undefined,
    }, isRun);
  } catch (e) {
    if (e instanceof FlagError) throw new CliExit(125, `wharf: ${e.message}\nSee 'wharf ${isRun ? 'run' : 'create'} --help'.`);
    throw e;
  }
}

function needImage(image: string | undefined, verb: string): string {
  if (!image) throw new CliExit(125, `wharf: '${verb}' requires at least 1 argument.\nSee 'wharf ${verb} --help'.\n\nUsage:  wharf ${verb} [OPTIONS] IMAGE [COMMAND] [ARG...]\n`);
  return image;
}

export function create(ctx: CliContext): Command {
  const cmd = newCommand('create').description('Create a new container').usage('[OPTIONS] IMAGE [COMMAND] [ARG...]').argument('[image]').argument('[command...]');
  addRunFlags(cmd, false);
  return cmd.action(async (image: string | undefined, args: string[], o: RunOpts) => {
    const b = body(ctx, o, needImage(image, 'create'), args, false);
    const id = await createContainer(ctx, b, o);
    ctx.out.write(`${id}\n`);
  });
}

export default function run(ctx: CliContext): Command {
  const cmd = newCommand('run').description('Create and run a new container from an image').usage('[OPTIONS] IMAGE [COMMAND] [ARG...]').argument('[image]').argument('[command...]');
  addRunFlags(cmd, true);
  return cmd.action(async (image: string | undefined, args: string[], o: RunOpts) => {
    const b = body(ctx, o, needImage(image, 'run'), args, true);
    if (b.AttachStdin && b.Tty && !process.stdin.isTTY) throw new CliExit(1, 'the input device is not a TTY');
    const id = await createContainer(ctx, b, o);
    if (o.detach) {
      try {
        await ctx.client().json(`/containers/${id}/start`, { method: 'POST' });
      } catch (e) {
        const { startErrorCode } = await import('../run-flow.ts');
        throw new CliExit(startErrorCode((e as Error).message), `wharf: Error response from daemon: ${(e as Error).message}`);
      }
      ctx.out.write(`${id}\n`);
      return;
    }
    const code = await runAttached(ctx, {
      id, tty: !!b.Tty, stdin: !!b.AttachStdin, stdout: !!b.AttachStdout, stderr: !!b.AttachStderr,
      detachKeys: o.detachKeys ?? ctx.config().cfg.detachKeys, sigProxy: o.sigProxy !== false, autoRemove: !!o.rm, start: true,
    });
    process.exitCode = code;
  });
}
