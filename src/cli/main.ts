/**
 * `wharf` entry point: global flags, then one command loaded on demand. Errors end the
 * process like docker's CLI: daemon errors as `Error response from daemon: …`, unknown
 * flags as `unknown flag: --x` with exit 125 for run/create and 1 otherwise.
 */
import { CommanderError, type Command } from 'commander';
import { COMMANDS, MANAGEMENT, getEntry } from './command-table.ts';
import { CliExit, makeContext, type CliContext } from './context.ts';
import { ApiError, ConnectError } from '../client/client.ts';

const VALUE_FLAGS = new Set(['-H', '--host', '--tlscacert', '--tlscert', '--tlskey', '-l', '--log-level', '--config', '-c', '--context']);
const CLIENT_VERSION = '0.1.0';

function parseGlobals(argv: string[]): { globals: CliContext['globals']; rest: string[]; help: boolean; version: boolean } {
  const globals: CliContext['globals'] = {};
  let i = 0;
  let help = false;
  let version = false;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) break;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    let value: string | undefined = eq > 0 ? a.slice(eq + 1) : undefined;
    if (VALUE_FLAGS.has(flag) && value === undefined) value = argv[++i];
    switch (flag) {
      case '-H': case '--host': globals.host = value; break;
      case '--tls': globals.tls = true; break;
      case '--tlsverify': globals.tlsverify = value === undefined ? true : value !== 'false'; break;
      case '--tlscacert': globals.tlscacert = value; break;
      case '--tlscert': globals.tlscert = value; break;
      case '--tlskey': globals.tlskey = value; break;
      case '-D': case '--debug': globals.debug = true; break;
      case '-l': case '--log-level': globals.logLevel = value; break;
      case '--config': globals.config = value; break;
      case '-c': case '--context': break;
      case '-h': case '--help': help = true; break;
      case '-v': case '--version': version = true; break;
      default:
        process.stderr.write(`unknown flag: ${flag}\nSee 'wharf --help'.\n`);
        process.exit(125);
    }
  }
  return { globals, rest: argv.slice(i), help, version };
}

function usage(): string {
  const lines = ['', 'Usage:  wharf [OPTIONS] COMMAND', '', 'A self-sufficient runtime for containers (Docker compatible)', '', 'Commands:'];
  for (const [name, e] of Object.entries(COMMANDS)) if (!e.hidden) lines.push(`  ${name.padEnd(10)} ${e.summary}`);
  lines.push('', 'Global Options:',
    '      --config string      Location of client config files (default "~/.docker")',
    '  -D, --debug              Enable debug mode',
    '  -H, --host string        Daemon socket to connect to',
    '  -l, --log-level string   Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")',
    '      --tls                Use TLS; implied by --tlsverify',
    '      --tlscacert string   Trust certs signed only by this CA',
    '      --tlscert string     Path to TLS certificate file',
    '      --tlskey string      Path to TLS key file',
    '      --tlsverify          Use TLS and verify the remote',
    '  -v, --version            Print version information and quit',
    '', "Run 'wharf COMMAND --help' for more information on a command.", '');
  return lines.join('\n');
}

/** Resolves `container ls` style invocations to a table entry name and remaining args. */
function resolveCommand(rest: string[]): { name: string; args: string[]; display: string } | undefined {
  const [first, second, ...tail] = rest;
  if (!first) return undefined;
  const verbs = MANAGEMENT[first];
  if (verbs && second && !second.startsWith('-')) {
    const target = verbs[second];
    if (target) return { name: target, args: tail, display: `${first} ${second}` };
  }
  if (first === 'volume' || first === 'network' || first === 'registry') return { name: first, args: rest.slice(1), display: first };
  return { name: first, args: rest.slice(1), display: first };
}

async function main(): Promise<void> {
  const { globals, rest, help, version } = parseGlobals(process.argv.slice(2));
  if (version) { process.stdout.write(`Wharf version ${CLIENT_VERSION}\n`); return; }
  if (help || rest.length === 0) { process.stdout.write(usage()); return; }
  const resolved = resolveCommand(rest)!;
  const entry = getEntry(resolved.name);
  const ctx = makeContext(globals);
  const exitCodeOnError = resolved.name === 'run' || resolved.name === 'create' ? 125 : 1;
  if (!entry) {
    process.stderr.write(`wharf: '${resolved.display}' is not a wharf command.\nSee 'wharf --help'\n`);
    process.exit(1);
  }
  if (!entry.load) {
    const wantsHelp = resolved.args.includes('--help') || resolved.args.includes('-h');
    const text = `\nUsage:  wharf ${resolved.display} ${entry.usage ?? ''}\n\n${entry.summary}\n\n`;
    if (wantsHelp) process.stdout.write(text);
    process.stderr.write(`wharf ${resolved.display}: not implemented yet in this version of wharf\n`);
    process.exit(1);
  }
  let cmd: Command;
  try {
    cmd = (await entry.load()).default(ctx);
    cmd.name(resolved.display);
    configure(cmd, exitCodeOnError);
    await cmd.parseAsync(resolved.args, { from: 'user' });
  } catch (err) {
    process.exitCode = report(err, exitCodeOnError);
  }
}

function configure(cmd: Command, exitCode: number): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: () => { /* reported in report() */ },
  });
  cmd.helpOption('-h, --help', 'Print usage');
  (cmd as Command & { _wharfExit?: number })._wharfExit = exitCode;
  for (const sub of cmd.commands) configure(sub, exitCode);
}

function report(err: unknown, exitCode: number): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return 0;
    const m = /unknown option '([^']+)'/.exec(err.message);
    const msg = m ? `unknown flag: ${m[1]}` : err.message.replace(/^error: /, '');
    process.stderr.write(`${msg}\nSee 'wharf --help'.\n`);
    return exitCode === 125 ? 125 : (err.exitCode || 1);
  }
  if (err instanceof CliExit) {
    if (err.message) process.stderr.write(err.message.endsWith('\n') ? err.message : err.message + '\n');
    return err.code;
  }
  if (err instanceof ConnectError) {
    process.stderr.write(err.message + '\n');
    return 1;
  }
  if (err instanceof ApiError) {
    process.stderr.write(`Error response from daemon: ${err.message}\n`);
    return exitCode;
  }
  process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
  return exitCode;
}

void main();
