/** `wharf registry serve …`: runs the built-in registry in the foreground (src/registry/server). */
import { Command } from 'commander';
import { CliExit, type CliContext } from '../context.ts';

const USAGE = `
Usage:  wharf registry serve [OPTIONS]

Run a private image registry

Options:
      --addr string       Address to listen on (default "127.0.0.1:5000")
      --root string       Storage directory (required)
      --htpasswd string   htpasswd file (bcrypt) for basic/token auth
      --realm string      Auth realm (default "wharf-registry")
      --public-search     Allow anonymous /v1/search
      --log-level string  Log level (default "info")
`;

export default function registry(ctx: CliContext): Command {
  const cmd = new (class extends Command {
    override helpInformation(): string { return USAGE; }
  })('registry');
  return cmd.description('Run a private image registry').helpOption(false).allowUnknownOption().allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      if (args.includes('--help') || args.includes('-h') || args[0] !== 'serve') {
        ctx.out.write(USAGE);
        if (args[0] !== 'serve' && !args.includes('--help') && !args.includes('-h')) throw new CliExit(1);
        return;
      }
      const { runRegistry } = await import('../../registry/server/index.ts');
      try {
        process.exitCode = await runRegistry(args);
      } catch (e) {
        throw new CliExit(1, (e as Error).message);
      }
    });
}
