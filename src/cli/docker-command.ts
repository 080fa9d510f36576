/**
 * A commander Command that parses like docker's pflag-based CLI: boolean flags accept
 * `--rm=false` / `-d=true`, and commands that take a command line after the image
 * (`run IMAGE ls -l --help`) stop parsing options at the first operand.
 */
import { Command, Option } from 'commander';

export class DockerCommand extends Command {
  /** Options after the first operand belong to the operands (run, exec, create). */
  stopAtOperand = false;

  override createCommand(name?: string): DockerCommand {
    return new DockerCommand(name);
  }

  /** Stop option parsing at the first operand (`run IMAGE CMD ARGS…`). */
  operandsStopOptions(): this {
    this.stopAtOperand = true;
    this.passThroughOptions();
    return this;
  }

  /** A boolean flag; `def` true adds a hidden `--no-x` so that `--x=false` works. */
  flag(flags: string, description: string, def = false): this {
    if (/(^|\s)--no-/.test(flags)) return this.option(flags, description);
    this.option(flags, description, def);
    if (def) {
      const long = /--([\w-]+)/.exec(flags)![1];
      this.addOption(new Option(`--no-${long}`).hideHelp());
    }
    return this;
  }

  /** Help laid out like docker's: `Usage:  wharf NAME USAGE`, then aligned options. */
  override helpInformation(): string {
    const parentName = this.parent ? `${this.parent.name()} ` : '';
    const lines = ['', `Usage:  wharf ${parentName}${this.name()} ${this.usage().replace('[options]', '[OPTIONS]').replace('[command]', 'COMMAND')}`.trimEnd(), '', this.description(), ''];
    const subs = this.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    if (subs.length) {
      lines.push('Commands:');
      const w = Math.max(...subs.map((c) => c.name().length));
      for (const c of subs) lines.push(`  ${c.name().padEnd(w)}   ${c.description()}`);
      lines.push('');
    }
    const opts = this.options.filter((o) => !o.hidden);
    const help = this._helpFlags();
    const rows = opts.map((o) => {
      const value = /<([^>]+)>|\[([^\]]+)\]/.exec(o.flags);
      const name = `${o.short ? `${o.short}, ` : '    '}${o.long ?? ''}${value ? ` ${value[1] ?? value[2]}` : ''}`;
      const d = o.defaultValue;
      const def = typeof d === 'string' && d !== '' ? ` (default "${d}")` : d === true && !o.negate ? ' (default true)' : typeof d === 'number' ? ` (default ${d})` : '';
      return [name, o.description + def];
    });
    rows.push([help, 'Print usage']);
    rows.sort((a, b) => a[0]!.replace(/^-\w, |^ +/, '').localeCompare(b[0]!.replace(/^-\w, |^ +/, '')));
    if (rows.length) {
      lines.push('Options:');
      const w = Math.max(...rows.map((r) => r[0]!.length));
      for (const [n, d] of rows) lines.push(`  ${n!.padEnd(w)}   ${d}`);
      lines.push('');
    }
    if (subs.length) lines.push(`Run 'wharf ${parentName}${this.name()} COMMAND --help' for more information on a command.`, '');
    return lines.join('\n');
  }

  private _helpFlags(): string {
    const h = (this as unknown as { _getHelpOption(): { short?: string; long?: string } | null })._getHelpOption();
    const shortTaken = this.options.some((o) => o.short === h?.short);
    return h?.short && !shortTaken ? `${h.short}, ${h.long}` : `    ${h?.long ?? '--help'}`;
  }

  override parseOptions(argv: string[]): { operands: string[]; unknown: string[] } {
    const args = rewriteBools(this, argv);
    const r = super.parseOptions(args);
    if (this.stopAtOperand && r.unknown.length && !r.unknown[0]!.startsWith('-')) {
      return { operands: [...r.operands, ...r.unknown], unknown: [] };
    }
    return r;
  }
}

function rewriteBools(cmd: Command, argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { out.push(...argv.slice(i)); break; }
    const m = /^(--?[\w-]+)=(true|false|1|0)$/i.exec(a);
    if (!m) { out.push(a); continue; }
    const opt = cmd.options.find((o) => o.long === m[1] || o.short === m[1]);
    if (!opt || opt.required || opt.optional || opt.negate) { out.push(a); continue; }
    const on = ['true', '1'].includes(m[2]!.toLowerCase());
    if (on) out.push(opt.long ?? opt.short!);
    else {
      const neg = cmd.options.find((o) => o.negate && o.long === `--no-${opt.long!.slice(2)}`);
      if (neg) out.push(neg.long!);
      // else: default is false already; drop the flag.
    }
  }
  return out;
}

export function newCommand(name: string): DockerCommand {
  return new DockerCommand(name);
}
