/** `wharfd` entry point: parse config, start the daemon, handle signals. */
import { ConfigError, loadConfig } from './config.ts';
import { startDaemon } from './daemon.ts';
import { CommanderError } from 'commander';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const msg = err instanceof ConfigError ? err.message : (err as Error).message;
    process.stderr.write(`wharfd: ${msg}\n`);
    process.exit(1);
  }
  try {
    await startDaemon(cfg);
  } catch (err) {
    process.stderr.write(`time="${new Date().toISOString()}" level=fatal msg=${JSON.stringify(`failed to start daemon: ${(err as Error).message}`)}\n`);
    process.exit(1);
  }
}

void main();
