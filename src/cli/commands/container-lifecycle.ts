/**
 * Commands acting on one or more containers by id/name: start, stop, restart, kill, rm,
 * pause, unpause, wait. Like docker, each target is tried; failures are printed and the
 * command exits 1 at the end.
 */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { runAttached } from '../run-flow.ts';

/** Runs `fn` for each target, printing what it returns; collects errors like docker. */
export async function eachTarget(ctx: CliContext, targets: string[], fn: (t: string) => Promise<string | undefined>): Promise<void> {
  const errors: string[] = [];
  for (const t of targets) {
    try {
      const line = await fn(t);
      if (line !== undefined) ctx.out.write(`${line}\n`);
    } catch (e) {
      const msg = (e as Error).message;
      errors.push((e as { status?: number }).status !== undefined ? `Error response from daemon: ${msg}` : msg);
    }
  }
  if (errors.length) throw new CliExit(1, errors.join('\n'));
}

function requireArgs(args: string[], verb: string, usage: string): void {
  if (!args.length) throw new CliExit(1, `wharf: '${verb}' requires at least 1 argument.\nSee 'wharf ${verb} --help'.\n\nUsage:  wharf ${verb} ${usage}\n`);
}

const post = (ctx: CliContext, p: string, query?: Record<string, string | number | boolean | undefined>) => ctx.client().json(p, { method: 'POST', query });

export function start(ctx: CliContext): Command {
  return newCommand('start').description('Start one or more stopped containers').argument('[containers...]')
    .flag('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .flag('-i, --interactive', "Attach container's STDIN")
    .action(async (ids: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }) => {
      requireArgs(ids, 'start', '[OPTIONS] CONTAINER [CONTAINER...]');
      if (o.attach || o.interactive) {
        if (ids.length > 1) throw new CliExit(1, 'you cannot start and attach multiple containers at once');
        const c = await ctx.client().json<{ Id: string; Config: { Tty: boolean; OpenStdin: boolean }; HostConfig: { AutoRemove: boolean } }>(`/containers/${ids[0]}/json`);
        process.exitCode = await runAttached(ctx, {
          id: c.Id, tty: c.Config.Tty, stdin: !!o.interactive && c.Config.OpenStdin, stdout: !!o.attach, stderr: !!o.attach,
          detachKeys: o.detachKeys ?? ctx.config().cfg.detachKeys, sigProxy: true, autoRemove: c.HostConfig.AutoRemove, start: true,
        });
        return;
      }
      await eachTarget(ctx, ids, async (id) => { await post(ctx, `/containers/${id}/start`); return id; });
    });
}

export function stop(ctx: CliContext): Command {
  return newCommand('stop').description('Stop one or more running containers').argument('[containers...]')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --time <int>', 'Seconds to wait before killing the container')
    .action(async (ids: string[], o: { signal?: string; time?: string }) => {
      requireArgs(ids, 'stop', '[OPTIONS] CONTAINER [CONTAINER...]');
      await eachTarget(ctx, ids, async (id) => { await post(ctx, `/containers/${id}/stop`, { t: o.time, signal: o.signal }); return id; });
    });
}

export function restart(ctx: CliContext): Command {
  return newCommand('restart').description('Restart one or more containers').argument('[containers...]')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --time <int>', 'Seconds to wait before killing the container')
    .action(async (ids: string[], o: { signal?: string; time?: string }) => {
      requireArgs(ids, 'restart', '[OPTIONS] CONTAINER [CONTAINER...]');
      await eachTarget(ctx, ids, async (id) => { await post(ctx, `/containers/${id}/restart`, { t: o.time, signal: o.signal }); return id; });
    });
}

export function kill(ctx: CliContext): Command {
  return newCommand('kill').description('Kill one or more running containers').argument('[containers...]')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action(async (ids: string[], o: { signal?: string }) => {
      requireArgs(ids, 'kill', '[OPTIONS] CONTAINER [CONTAINER...]');
      await eachTarget(ctx, ids, async (id) => { await post(ctx, `/containers/${id}/kill`, { signal: o.signal }); return id; });
    });
}

export function rm(ctx: CliContext): Command {
  return newCommand('rm').description('Remove one or more containers').argument('[containers...]')
    .flag('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .flag('-l, --link', 'Remove the specified link')
    .flag('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action(async (ids: string[], o: { force?: boolean; link?: boolean; volumes?: boolean }) => {
      requireArgs(ids, 'rm', '[OPTIONS] CONTAINER [CONTAINER...]');
      await eachTarget(ctx, ids, async (id) => {
        await ctx.client().json(`/containers/${id.replace(/^\//, '')}`, { method: 'DELETE', query: { force: o.force, v: o.volumes, link: o.link } });
        return id;
      });
    });
}

export function pause(ctx: CliContext): Command {
  return newCommand('pause').description('Pause all processes within one or more containers').argument('[containers...]')
    .action(async (ids: string[]) => {
      requireArgs(ids, 'pause', 'CONTAINER [CONTAINER...]');
      await eachTarget(ctx, ids, async (id) => { await post(ctx, `/containers/${id}/pause`); return id; });
    });
}

export function unpause(ctx: CliContext): Command {
  return newCommand('unpause').description('Unpause all processes within one or more containers').argument('[containers...]')
    .action(async (ids: string[]) => {
      requireArgs(ids, 'unpause', 'CONTAINER [CONTAINER...]');
      await eachTarget(ctx, ids, async (id) => { await post(ctx, `/containers/${id}/unpause`); return id; });
    });
}

export function wait(ctx: CliContext): Command {
  return newCommand('wait').description('Block until one or more containers stop, then print their exit codes').argument('[containers...]')
    .action(async (ids: string[]) => {
      requireArgs(ids, 'wait', 'CONTAINER [CONTAINER...]');
      await eachTarget(ctx, ids, async (id) => {
        const r = await ctx.client().json<{ StatusCode: number }>(`/containers/${id}/wait`, { method: 'POST' });
        return String(r.StatusCode);
      });
    });
}
