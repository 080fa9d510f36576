/**
 * Man pages (roff, section 1) generated from the CLI spec: `wharf.1` (commands, global flags,
 * files and environment), one `wharf-CMD.1` per command and `wharf-CMD-VERB.1` per verb of a
 * management command. scripts/build.mjs writes them to dist/man/ through `wharf __man DIR`.
 */
import type { CliSpec, CommandSpec, FlagSpec } from './cli-spec.ts';

/** Escapes text for roff (backslashes, leading dots/quotes, hyphens in flags). */
function roff(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
}

function flagLines(flags: FlagSpec[]): string[] {
  const out: string[] = [];
  for (const f of flags) {
    const names = [f.short, f.long].filter(Boolean).map((n) => `\\fB${roff(n!)}\\fR`).join(', ');
    out.push('.TP', `${names}${f.value ? ` \\fI${roff(f.valueName ?? 'string')}\\fR` : ''}`, roff(f.description));
  }
  return out;
}

function header(name: string, date: string): string[] {
  return [`.TH "${name.toUpperCase()}" "1" "${date}" "Wharf" "Wharf User Manuals"`, '.nh', '.ad l'];
}

function commandPage(path: string[], c: CommandSpec, date: string): string {
  const name = `wharf-${path.join('-')}`;
  const lines = [
    ...header(name, date),
    '.SH NAME', `${roff(`wharf-${path.join('-')}`)} \\- ${roff(c.summary)}`,
    '.SH SYNOPSIS', `\\fBwharf ${roff(path.join(' '))}\\fP ${roff(c.usage.replace(/\s+/g, ' ').trim())}`,
    '.SH DESCRIPTION', roff(c.summary) + '.',
  ];
  if (c.aliases.length) lines.push('.PP', `Aliases: ${c.aliases.map((a) => `\\fBwharf ${roff([...path.slice(0, -1), a].join(' '))}\\fR`).join(', ')}`);
  if (c.subcommands.length) {
    lines.push('.SH COMMANDS');
    for (const s of c.subcommands) lines.push('.TP', `\\fB${roff(s.name)}\\fR`, `${roff(s.summary)} (see \\fBwharf\\-${roff([...path, s.name].join('-'))}\\fR(1))`);
  }
  if (c.flags.length) lines.push('.SH OPTIONS', ...flagLines(c.flags));
  lines.push('.SH SEE ALSO', path.length > 1 ? `\\fBwharf\\-${roff(path.slice(0, -1).join('-'))}\\fR(1), \\fBwharf\\fR(1)` : '\\fBwharf\\fR(1)');
  return lines.join('\n') + '\n';
}

function mainPage(spec: CliSpec, date: string): string {
  const lines = [
    ...header('wharf', date),
    '.SH NAME', 'wharf \\- a self\\-sufficient runtime for containers (Docker compatible)',
    '.SH SYNOPSIS', '\\fBwharf\\fP [OPTIONS] COMMAND [ARG...]',
    '.SH DESCRIPTION',
    'wharf is the command line client of \\fBwharfd\\fR, a container engine that serves the Docker Engine API; its commands and flags are the docker CLI\'s.',
    '.SH OPTIONS', ...flagLines(spec.globals),
    '.SH COMMANDS',
  ];
  for (const c of spec.commands) lines.push('.TP', `\\fBwharf\\-${roff(c.name)}\\fR(1)`, roff(c.summary));
  lines.push(
    '.SH FILES',
    '.TP', '\\fI~/.docker/config.json\\fR',
    'The client configuration, shared with the docker CLI: registry logins (\\fBauths\\fR), credential helpers (\\fBcredsStore\\fR, \\fBcredHelpers\\fR: the programs \\fBdocker\\-credential\\-\\fR\\fINAME\\fR), \\fBdetachKeys\\fR, \\fBpsFormat\\fR, \\fBimagesFormat\\fR and \\fBproxies\\fR (passed to builds as build arguments and to containers as environment). An older \\fI~/.wharf/config.json\\fR is copied here on first use.',
    '.SH ENVIRONMENT',
    '.TP', '\\fBDOCKER_CONFIG\\fR', 'The directory of config.json (default \\fI~/.docker\\fR); \\fB\\-\\-config\\fR overrides it.',
    '.TP', '\\fBDOCKER_HOST\\fR, \\fBWHARF_HOST\\fR', 'The daemon socket to connect to (default \\fIunix:///run/wharf/wharf.sock\\fR).',
    '.TP', '\\fBDOCKER_TLS_VERIFY\\fR, \\fBDOCKER_CERT_PATH\\fR', 'Use TLS and verify the daemon; where the client certificates are.',
    '.SH SHELL COMPLETION',
    '\\fBwharf completion bash\\fR|\\fBzsh\\fR|\\fBfish\\fR prints a completion script for that shell.',
    '.SH SEE ALSO', '\\fBwharfd\\fR(8), \\fBdocker\\fR(1)',
  );
  return lines.join('\n') + '\n';
}

/** Every page: file name → roff text. */
export function manPages(spec: CliSpec, date = new Date().toISOString().slice(0, 7)): Map<string, string> {
  const pages = new Map<string, string>();
  pages.set('wharf.1', mainPage(spec, date));
  for (const c of spec.commands) {
    pages.set(`wharf-${c.name}.1`, commandPage([c.name], c, date));
    for (const s of c.subcommands) pages.set(`wharf-${c.name}-${s.name}.1`, commandPage([c.name, s.name], s, date));
  }
  return pages;
}
