/**
 * The CLI described as data, from its own command table: every command (and the verbs of the
 * management commands) with its summary, usage, flags and what its operands name (containers,
 * images, networks, volumes). Shell completion (completion.ts) and the man pages (man.ts) are
 * generated from this, so they follow the commands as they are built.
 */
import type { Command, Option } from 'commander';
import { COMMANDS, MANAGEMENT } from './command-table.ts';
import type { CliContext } from './context.ts';

export type NameKind = 'containers' | 'images' | 'networks' | 'volumes';
/** What an operand names: a kind of object, any object (inspect), a path, or nothing to complete. */
export type ArgKind = NameKind | 'any' | 'file' | 'none';

export interface FlagSpec {
  short?: string;
  long: string;
  /** Takes a value (`--name string`). */
  value: boolean;
  /** The value's type word for help (`string`, `list`, …). */
  valueName?: string;
  description: string;
  /** What the value names, for completion. */
  kind?: ArgKind;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
  /** Operand kinds by position; `variadic` repeats the last. */
  args: ArgKind[];
  variadic: boolean;
  subcommands: CommandSpec[];
  /** Other names (`rm` → `remove`). */
  aliases: string[];
}

export interface CliSpec {
  globals: FlagSpec[];
  commands: CommandSpec[];
}

/** Global flags (main.ts parses them before the command). */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { long: '--config', value: true, valueName: 'string', description: 'Location of client config files (default "~/.docker")', kind: 'file' },
  { short: '-c', long: '--context', value: true, valueName: 'string', description: 'Name of the context to use to connect to the daemon', kind: 'none' },
  { short: '-D', long: '--debug', value: false, description: 'Enable debug mode' },
  { short: '-H', long: '--host', value: true, valueName: 'list', description: 'Daemon socket to connect to', kind: 'none' },
  { short: '-l', long: '--log-level', value: true, valueName: 'string', description: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")', kind: 'none' },
  { long: '--tls', value: false, description: 'Use TLS; implied by --tlsverify' },
  { long: '--tlscacert', value: true, valueName: 'string', description: 'Trust certs signed only by this CA', kind: 'file' },
  { long: '--tlscert', value: true, valueName: 'string', description: 'Path to TLS certificate file', kind: 'file' },
  { long: '--tlskey', value: true, valueName: 'string', description: 'Path to TLS key file', kind: 'file' },
  { long: '--tlsverify', value: false, description: 'Use TLS and verify the remote' },
  { short: '-v', long: '--version', value: false, description: 'Print version information and quit' },
];

/** Operand name (as the command declares it) → what it names. */
const ARG_KINDS: Record<string, ArgKind> = {
  container: 'containers', containers: 'containers', image: 'images', images: 'images', source: 'images',
  network: 'networks', networks: 'networks', volumes: 'volumes', names: 'any', context: 'file', file: 'file',
};

/** Flag values that name something. */
const FLAG_KINDS: Record<string, ArgKind> = {
  '--network': 'networks', '--net': 'networks', '--volumes-from': 'containers', '--link': 'containers',
  '--file': 'file', '--env-file': 'file', '--label-file': 'file', '--cidfile': 'file', '--iidfile': 'file', '--input': 'file', '--output': 'file',
};

/** Per command, operand names that mean something else than ARG_KINDS says. */
function argKind(command: string, parent: string | undefined, argName: string): ArgKind {
  if (command === 'pull' || command === 'search' || command === 'login' || command === 'logout') return 'none';
  if (command === 'push' && argName === 'name') return 'images';
  if (command === 'tag' && argName === 'target') return 'none';
  if (command === 'commit' && argName === 'reference') return 'none';
  if (argName === 'names' && parent) {
    const p = ({ network: 'networks', volume: 'volumes', image: 'images', container: 'containers' } as Record<string, ArgKind>)[parent];
    if (p) return p;
  }
  if (parent === 'network' && argName === 'name') return 'none';
  return ARG_KINDS[argName] ?? 'none';
}

function flagSpecs(cmd: Command): FlagSpec[] {
  const out: FlagSpec[] = [];
  for (const o of cmd.options as (Option & { hidden?: boolean })[]) {
    if (o.hidden || !o.long) continue;
    const value = o.required || o.optional;
    const valueName = /<([^>]+)>|\[([^\]]+)\]/.exec(o.flags);
    out.push({
      ...(o.short ? { short: o.short } : {}),
      long: o.long,
      value,
      ...(value && valueName ? { valueName: valueName[1] ?? valueName[2] } : {}),
      description: o.description,
      ...(value ? { kind: FLAG_KINDS[o.long] ?? 'none' } : {}),
    });
  }
  out.push({ long: '--help', value: false, description: 'Print usage' });
  return out;
}

function toSpec(cmd: Command, name: string, summary: string, usage: string | undefined, parent?: string): CommandSpec {
  const args = (cmd as unknown as { registeredArguments?: { name(): string; variadic: boolean }[]; _args?: { name(): string; variadic: boolean }[] });
  const declared = args.registeredArguments ?? args._args ?? [];
  const subs = (cmd.commands as Command[]).filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  return {
    name,
    summary,
    usage: usage ?? cmd.usage().replace('[options]', '[OPTIONS]').replace('[command]', 'COMMAND'),
    flags: flagSpecs(cmd),
    args: declared.map((a) => argKind(name, parent, a.name())),
    variadic: declared.length > 0 && declared[declared.length - 1]!.variadic,
    subcommands: subs.map((c) => toSpec(c, c.name(), c.description(), undefined, name)),
    aliases: cmd.aliases(),
  };
}

/** Builds every command (nothing connects: commands reach the daemon only when they run). */
export async function cliSpec(ctx: CliContext): Promise<CliSpec> {
  const built = new Map<string, CommandSpec>();
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (entry.hidden || !entry.load || name.includes('-')) continue;
    const cmd = (await entry.load()).default(ctx);
    built.set(name, toSpec(cmd, name, entry.summary, entry.usage));
  }
  // Management commands: `container ls` is `ps`, … (their verbs from MANAGEMENT).
  for (const [mgmt, verbs] of Object.entries(MANAGEMENT)) {
    const existing = built.get(mgmt);
    const subs: CommandSpec[] = existing ? [...existing.subcommands] : [];
    const byTarget = new Map<string, string[]>();
    for (const [verb, target] of Object.entries(verbs)) byTarget.set(target, [...(byTarget.get(target) ?? []), verb]);
    for (const [target, names] of byTarget) {
      const entry = COMMANDS[target];
      if (!entry?.load) continue;
      const spec = { summary: entry.summary };
      const [first, ...aliases] = names;
      if (subs.some((s) => s.name === first)) continue; // the command defines that verb itself
      const own = toSpec((await entry.load()).default(ctx), first!, entry.summary, entry.usage, mgmt);
      subs.push({ ...own, name: first!, summary: spec.summary, aliases });
    }
    subs.sort((a, b) => a.name.localeCompare(b.name));
    const summary = COMMANDS[mgmt]?.summary ?? `Manage ${mgmt}s`;
    built.set(mgmt, { name: mgmt, summary, usage: 'COMMAND', flags: [{ long: '--help', value: false, description: 'Print usage' }], args: [], variadic: false, subcommands: subs, aliases: [] });
  }
  const commands = [...built.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { globals: GLOBAL_FLAGS, commands };
}
