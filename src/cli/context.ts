/** What every CLI command gets: the connection, stdio, and docker-like error exits. */
import { Client, DEFAULT_HOST, resolveConnection, type ConnectionFlags } from '../client/client.ts';
import { configDir, configPath, loadConfig, proxyEntry, proxyVariables, type LoadedConfig } from './config-file.ts';

export interface CliContext {
  globals: ConnectionFlags & { debug?: boolean; logLevel?: string; config?: string };
  client(): Client;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** `wharf` as invoked (for usage lines). */
  prog: string;
  /**
   * config.json (docker's), loaded on first use. A file that cannot be read or parsed gives
   * a warning on stderr and an empty config, as docker does; `forWrite` throws instead, so a
   * command that saves it never overwrites a file it could not read.
   */
  config(forWrite?: boolean): LoadedConfig;
}

/** Ends the CLI with a message on stderr and an exit status (docker's 1/125/126/127). */
export class CliExit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}

export function makeContext(globals: CliContext['globals']): CliContext {
  let client: Client | undefined;
  let loaded: LoadedConfig | undefined;
  let loadError: Error | undefined;
  const ctx: CliContext = {
    globals,
    client: () => (client ??= new Client(resolveConnection({ ...globals, configDir: configDir(globals.config) }))),
    out: process.stdout,
    err: process.stderr,
    prog: 'wharf',
    config(forWrite = false) {
      if (!loaded && !loadError) {
        try {
          loaded = loadConfig(globals.config);
        } catch (e) {
          loadError = e as Error;
          ctx.err.write(`WARNING: Error ${loadError.message}\n`);
        }
      }
      if (loadError) {
        if (forWrite) throw new CliExit(1, `${loadError.message}: fix or remove the file first`);
        const dir = configDir(globals.config);
        return { dir, file: configPath(dir), cfg: {} };
      }
      return loaded!;
    },
  };
  return ctx;
}

/** The daemon address as given (docker's DaemonHost), the key of config.json's `proxies`. */
export function daemonHost(ctx: CliContext): string {
  return ctx.globals.host ?? process.env.WHARF_HOST ?? process.env.DOCKER_HOST ?? DEFAULT_HOST;
}

/**
 * `KEY=value` proxy variables from config.json's `proxies` (the daemon host's entry, else
 * `default`) for names `given` lacks: docker's ParseProxyConfig, for `build --build-arg`
 * and `run`/`create -e`.
 */
export function configProxyArgs(ctx: CliContext, given: string[]): string[] {
  const names = new Set(given.map((g) => { const i = g.indexOf('='); return i < 0 ? g : g.slice(0, i); }));
  return proxyVariables(proxyEntry(ctx.config().cfg, daemonHost(ctx)), names).map(([k, v]) => `${k}=${v}`);
}
