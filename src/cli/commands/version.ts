/** `wharf version`: client and server versions, like `docker version`. */
import { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { formatTyped, parseFormat } from '../format.ts';
import { TemplateError, tabwriteText } from '../../common/go-template/index.ts';
import { goArch } from '../../common/host.ts';

export const CLIENT = { Platform: { Name: 'Wharf' }, Version: '0.1.0', ApiVersion: '1.47', DefaultAPIVersion: '1.47', GitCommit: 'wharf', GoVersion: `node${process.versions.node}`, Os: 'linux', Arch: goArch(), BuildTime: '', Context: 'default' };

/** docker adds an Engine component when the server lists none. */
function withEngine(server: Record<string, unknown>): Record<string, unknown> {
  const comps = Array.isArray(server.Components) ? server.Components as { Name?: string }[] : [];
  if (comps.some((c) => c.Name === 'Engine')) return server;
  const s = server as Record<string, string | boolean>;
  return { ...server, Components: [...comps, { Name: 'Engine', Version: s.Version, Details: {
    ApiVersion: s.ApiVersion, MinAPIVersion: s.MinAPIVersion, GitCommit: s.GitCommit, GoVersion: s.GoVersion, Os: s.Os, Arch: s.Arch,
    BuildTime: s.BuildTime ?? '', Experimental: String(!!s.Experimental) } }] };
}

export default function versionCommand(ctx: CliContext): Command {
  return new Command('version')
    .description('Show the Wharf version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (opts: { format?: string }) => {
      if (opts.format) parseFormat(opts.format, 'version');
      let server: Record<string, unknown> | undefined;
      let serverErr: unknown;
      try {
        server = await ctx.client().json<Record<string, unknown>>('/version');
      } catch (err) {
        serverErr = err;
      }
      if (opts.format) {
        const data = { Client: CLIENT, Server: server ? withEngine(server) : null };
        let out: string;
        let execErr: TemplateError | undefined;
        try {
          out = formatTyped(opts.format, 'system.versionInfo', data, 'version');
        } catch (e) {
          if (!(e instanceof TemplateError)) throw e;
          execErr = e;
          out = (e as TemplateError & { partial?: string }).partial ?? '';
        }
        // docker writes through tabwriter(20, 1, 1, ' ') and always ends with a newline
        ctx.out.write(tabwriteText(`${out}\n`, { minwidth: 20, tabwidth: 1, padding: 1 }));
        if (execErr && !serverErr) throw execErr;
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
