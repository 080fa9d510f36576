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
