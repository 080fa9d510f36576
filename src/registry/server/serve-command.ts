/**
 * `wharf registry serve --addr 127.0.0.1:5000 --root DIR [--htpasswd FILE] [--realm R]
 * [--public-search] [--log-level L]`: runs the registry server in the foreground until
 * SIGINT/SIGTERM. The CLI hands its argv (after `registry`) to runRegistry().
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import { createLogger, isLogLevel, type LogLevel } from '../../common/logger.ts';
import { createRegistryServer } from './server.ts';

export interface RegistryServeArgs {
  host: string;
  port: number;
  root: string;
  htpasswd?: string;
  realm: string;
  publicSearch: boolean;
  logLevel: LogLevel;
}

const usage = 'Usage: wharf registry serve --addr HOST:PORT --root DIR [--htpasswd FILE] [--realm REALM] [--public-search] [--log-level LEVEL]';

export function parseRegistryArgs(argv: string[]): RegistryServeArgs {
  const args = [...argv];
  if (args[0] === 'serve') args.shift();
  const out: Partial<RegistryServeArgs> & { addr?: string } = { realm: 'wharf-registry', publicSearch: false, logLevel: 'info' };
  while (args.length) {
    const a = args.shift()!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined) throw new InvalidArgumentError(`flag needs an argument: ${flag}\n${usage}`);
      return v;
    };
    switch (flag) {
      case '--addr': out.addr = value(); break;
      case '--root': out.root = value(); break;
      case '--htpasswd': out.htpasswd = value(); break;
      case '--realm': out.realm = value(); break;
      case '--public-search': out.publicSearch = true; break;
      case '--log-level': {
        const l = value();
        if (!isLogLevel(l)) throw new InvalidArgumentError(`invalid log level ${JSON.stringify(l)}`);
        out.logLevel = l;
        break;
      }
      default:
        throw new InvalidArgumentError(`unknown flag: ${a}\n${usage}`);
    }
  }
  if (!out.root) throw new InvalidArgumentError(`--root is required\n${usage}`);
  const addr = out.addr ?? '127.0.0.1:5000';
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`invalid --addr ${JSON.stringify(addr)}: expected HOST:PORT`);
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port, root: out.root, htpasswd: out.htpasswd, realm: out.realm!, publicSearch: out.publicSearch!, logLevel: out.logLevel! };
}

/** Runs the server until a signal; resolves with the exit code. */
export async function runRegistry(argv: string[]): Promise<number> {
  const a = parseRegistryArgs(argv);
  const logger = createLogger(a.logLevel);
  const srv = createRegistryServer({
    root: a.root,
    auth: a.htpasswd ? { htpasswd: a.htpasswd, realm: a.realm } : undefined,
    publicSearch: a.publicSearch,
    logger,
  });
  const bound = await srv.listen(a.port, a.host);
  logger.info('listening on ' + `${bound.host}:${bound.port}`, { root: a.root, auth: a.htpasswd ? 'htpasswd' : 'none' });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await srv.close();
  return 0;
}
