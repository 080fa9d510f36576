/**
 * `wharf completion bash|zsh|fish` (a completion script from the CLI spec), and two hidden
 * helpers: `__complete-names KIND` (names of containers, images, networks or volumes, one per
 * line, which the scripts call) and `__man DIR` (writes the man pages; scripts/build.mjs).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { cliSpec } from '../cli-spec.ts';
import { completionScript, SHELLS, type Shell } from '../completion.ts';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { manPages } from '../man.ts';

export default function completion(ctx: CliContext): Command {
  return newCommand('completion').description('Generate the autocompletion script for the specified shell').usage('bash|zsh|fish').argument('[shell]')
    .action(async (shell: string | undefined) => {
      if (!shell || !(SHELLS as readonly string[]).includes(shell)) {
        throw new CliExit(1, `${shell ? `unsupported shell "${shell}"` : 'a shell is required'}: bash, zsh or fish\nSee 'wharf completion --help'.`);
      }
      ctx.out.write(completionScript(shell as Shell, await cliSpec(ctx)));
    });
}

const KINDS = ['containers', 'images', 'networks', 'volumes'] as const;

/** The names the completion scripts offer. */
export async function names(ctx: CliContext, kind: string): Promise<string[]> {
  const c = ctx.client();
  switch (kind) {
    case 'containers': {
      const list = await c.json<{ Names?: string[] }[]>('/containers/json', { query: { all: true } });
      return list.flatMap((x) => (x.Names ?? []).map((n) => n.replace(/^\//, '')).filter((n) => !n.includes('/')));
    }
    case 'images': {
      const list = await c.json<{ RepoTags?: string[] | null }[]>('/images/json');
      return list.flatMap((x) => x.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    }
    case 'networks':
      return (await c.json<{ Name: string }[]>('/networks')).map((n) => n.Name);
    case 'volumes':
      return ((await c.json<{ Volumes?: { Name: string }[] | null }>('/volumes')).Volumes ?? []).map((v) => v.Name);
    default:
      throw new CliExit(1, `unknown kind "${kind}": ${KINDS.join(', ')}`);
  }
}

export function completeNames(ctx: CliContext): Command {
  return newCommand('__complete-names').description('List names for shell completion').argument('<kind>')
    .action(async (kind: string) => {
      const out = [...new Set(await names(ctx, kind))].sort();
      if (out.length) ctx.out.write(out.join('\n') + '\n');
    });
}

export function man(ctx: CliContext): Command {
  return newCommand('__man').description('Write the man pages').argument('<dir>')
    .action(async (dir: string) => {
      const epoch = Number(process.env.SOURCE_DATE_EPOCH);
      const date = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000).toISOString().slice(0, 7) : undefined;
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, text] of manPages(await cliSpec(ctx), date)) fs.writeFileSync(path.join(dir, name), text);
    });
}
