/** `wharf version`: client and server versions, like `docker version`. */
import { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { formatOne } from '../format.ts';

const CLIENT = { Platform: { Name: 'Wharf' }, Version: '0.1.0', ApiVersion: '1.47', DefaultAPIVersion: '1.47', GitCommit: 'wharf', GoVersion: `node${process.versions.node}`, Os: 'linux', Arch: process.arch === 'x64' ? 'amd64' : process.arch, BuildTime: '', Context: 'default' };

export default function versionCommand(ctx: CliContext): Command {
  return new Command('version')
    .description('Show the Wharf version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (opts: { format?: string }) => {
      let server: Record<string, unknown> | undefined;
      let serverErr: unknown;
      try {
        server = await ctx.client().json<Record<string, unknown>>('/version');
      } catch (err) {
        serverErr = err;
      }
      if (opts.format) {
        ctx.out.write(formatOne(opts.format, { Client: CLIENT, Server: server ?? null }) + '\n');
      } else {
        const c = CLIENT;
        const lines = ['Client:', ` Version:           ${c.Version}`, ` API version:       ${c.ApiVersion}`, ` Node version:      ${process.versions.node}`, ` Git commit:        ${c.GitCommit}`, ` OS/Arch:           ${c.Os}/${c.Arch}`, ` Context:           default'`.replace("'", '')];
        if (server) {
          const s = server as Record<string, string>;
          lines.push('', `Server: ${(server.Platform as { Name: string }).Name}`, ' Engine:', `  Version:          ${s.Version}`, `  API version:      ${s.ApiVersion} (minimum version ${s.MinAPIVersion})`, `  Node version:     ${s.GoVersion}`, `  Git commit:       ${s.GitCommit}`, `  OS/Arch:          ${s.Os}/${s.Arch}`, `  Experimental:     false`);
        }
        ctx.out.write(lines.join('\n') + '\n');
      }
      if (serverErr) throw serverErr;
    });
}
