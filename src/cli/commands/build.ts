/** `wharf build`: tar the context (honouring .dockerignore), POST /build, print the streamed output. */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import { parseBytes } from '../../common/human.ts';
import { createTar, tarStream } from '../../common/tar/index.ts';
import { encodeAuthHeader } from '../auth.ts';
import { getAllCredentials, type AuthConfig } from '../credentials.ts';
import { buildQuery, contextEntries } from '../build-context.ts';
import { matchesDockerignore, PatternMatcher, readDockerignore } from '../../common/dockerignore.ts';
import { CliExit, configProxyArgs, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { collect } from '../options.ts';
import { displayJsonStream, JsonMessageError } from '../progress.ts';
import { onlyErrno } from '../../common/cleanups.ts';

interface BuildOpts { tag: string[]; file?: string; buildArg: string[]; cache?: boolean; pull?: boolean; quiet?: boolean; target?: string; label: string[]; platform?: string; network?: string; addHost: string[]; rm: boolean; forceRm?: boolean; shmSize?: string; memory?: string; iidfile?: string }

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function isArchive(b: Buffer): boolean {
  return (b[0] === 0x1f && b[1] === 0x8b) || b.subarray(257, 262).toString('latin1') === 'ustar';
}

/** `X-Registry-Config`: every stored login (docker's GetAllCredentials; a failing helper sends none). */
function registryConfigHeader(ctx: CliContext): string {
  let all: Record<string, AuthConfig> = {};
  try { all = getAllCredentials(ctx.config()); } catch { all = {}; }
  return encodeAuthHeader(all);
}

export default function build(ctx: CliContext): Command {
  return newCommand('build').description('Build an image from a Dockerfile').argument('<context>')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect, [])
    .option('--build-arg <list>', 'Set build-time variables', collect, [])
    .option('-f, --file <string>', 'Name of the Dockerfile (Default is "PATH/Dockerfile")')
    .flag('--force-rm', 'Always remove intermediate containers')
    .option('--iidfile <string>', 'Write the image ID to the file')
    .option('--label <list>', 'Set metadata for an image', collect, [])
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build (default "default")')
    .flag('--no-cache', 'Do not use cache when building the image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .flag('--pull', 'Always attempt to pull a newer version of the image')
    .flag('-q, --quiet', 'Suppress the build output and print image ID on success')
    .flag('--rm', 'Remove intermediate containers after a successful build', true)
    .option('--shm-size <bytes>', 'Size of "/dev/shm"')
    .option('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format', collect, [])
    .option('--target <string>', 'Set the target build stage to build.')
    .action(async (context: string, o: BuildOpts) => {
      let body: Readable | undefined;
      let remote: string | undefined;
      let dockerfile = o.file;
      if (context === '-') {
        if (o.file === '-') throw new CliExit(1, 'invalid argument: can\'t use stdin for both build context and dockerfile');
        const data = await readStdin();
        body = Readable.from([isArchive(data) ? data : createTar([{ header: { name: 'Dockerfile', type: 'file', mode: 0o600 }, body: data }])]);
      } else if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(context)) {
        remote = context;
      } else {
        let st: fs.Stats;
        try { st = fs.statSync(context); } catch { throw new CliExit(1, `unable to prepare context: path "${context}" not found`); }
        if (!st.isDirectory()) throw new CliExit(1, `unable to prepare context: context must be a directory: ${path.resolve(context)}`);
        let ignore: string | undefined;
        try { ignore = fs.readFileSync(path.join(context, '.dockerignore'), 'utf8'); } catch (err) { onlyErrno(err, 'ENOENT'); /* none */ }
        const excludes = readDockerignore(ignore ?? '');
        // docker's TrimBuildFilesFromExcludes: the .dockerignore and the Dockerfile are always sent.
        if (matchesDockerignore('.dockerignore', excludes)) excludes.push('!.dockerignore');
        const override = new Map<string, Buffer>();
        const outside = (data: Buffer) => {
          // docker's AddDockerfileToBuildContext: a random name, listed in .dockerignore so the builder drops it.
          const name = `.dockerfile.${Array.from({ length: 20 }, () => Math.floor(Math.random() * 16).toString(16)).join('')}`;
          override.set(name, data);
          override.set('.dockerignore', Buffer.from(`${ignore ?? '.dockerignore'}\n${name}\n`));
          return name;
        };
        if (o.file === '-') {
          dockerfile = outside(await readStdin());
        } else {
          const df = o.file ? path.relative(path.resolve(context), path.resolve(o.file)) : 'Dockerfile';
          if (o.file && df.startsWith('..')) {
            dockerfile = outside(fs.readFileSync(o.file));
          } else {
            if (!fs.existsSync(path.join(context, df))) throw new CliExit(1, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${path.resolve(context, df)}: no such file or directory`);
            dockerfile = df.split(path.sep).join('/');
            if (matchesDockerignore(dockerfile, excludes)) excludes.push(`!${dockerfile}`);
          }
        }
        let pm: PatternMatcher;
        try { pm = new PatternMatcher(excludes); } catch (err) { throw new CliExit(1, `unable to prepare context: ${(err as Error).message}`); }
        const all = () => contextEntries(context, pm, override);
        body = Readable.from(tarStream(all()));
      }
      // docker's ParseProxyConfig: config.json's proxies as build args the command line lacks.
      const buildArg = [...o.buildArg, ...configProxyArgs(ctx, o.buildArg)];
      const q = buildQuery({ ...o, buildArg, noCache: o.cache === false, shmSize: o.shmSize ? parseBytes(o.shmSize) : undefined, memory: o.memory ? parseBytes(o.memory) : undefined, file: dockerfile });
      const res = await ctx.client().stream('/build', {
        method: 'POST', query: { ...q, remote } as Record<string, string | number | boolean | string[] | undefined>, stream: body ?? Readable.from([]),
        contentType: 'application/x-tar', headers: { 'X-Registry-Config': registryConfigHeader(ctx) },
      });
      try {
        let quietText = '';
        const aux = await displayJsonStream(res, ctx.out, { quiet: o.quiet, onQuietStream: (t) => { quietText += t; } });
        const id = (aux.find((a) => (a as { ID?: string })?.ID) as { ID?: string } | undefined)?.ID ?? (/sha256:[0-9a-f]{64}/.exec(quietText)?.[0]);
        if (o.quiet && id) ctx.out.write(`${id}\n`);
        if (o.iidfile && id) fs.writeFileSync(o.iidfile, id);
      } catch (e) {
        if (e instanceof JsonMessageError) throw new CliExit(1, e.message);
        throw e;
      }
    });
}
