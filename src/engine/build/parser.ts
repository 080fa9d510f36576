/**
 * Dockerfile parser (the classic builder's syntax): parser directives (`# escape=`,
 * `# syntax=`), line continuations with the escape character, comments and empty lines
 * (also inside continuations), instruction keywords in any case, leading `--flag=value`
 * options, and the JSON (exec) form of arguments.
 *
 *   const df = parseDockerfile('FROM busybox\nRUN echo \\\n  hi\n');
 *   // df.instructions = [{ cmd: 'FROM', args: 'busybox', line: 1, … }, { cmd: 'RUN', args: 'echo   hi', line: 2, … }]
 *
 * Substitution of `$VAR` is not done here (it depends on build state): see substitute.ts.
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import { onlyJsonSyntax } from '../../common/cleanups.ts';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY … */
  cmd: string;
  /** Arguments after the flags, as written (continuations joined). */
  args: string;
  /** `--name=value` options in front of the arguments (`--chown`, `--from`, `--platform`…). */
  flags: Record<string, string>;
  /** The exec form: `["a","b"]` parsed, when the arguments are a JSON string array. */
  json?: string[];
  /** The logical line as written (after joining), for history and ONBUILD. */
  original: string;
  /** 1-based line number of the instruction's first line. */
  line: number;
}

export interface Dockerfile {
  escape: string;
  directives: Record<string, string>;
  instructions: Instruction[];
}

const KNOWN = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
const FLAGGED = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);
/** Flags the classic builder knows per instruction; BuildKit-only ones get docker's "requires BuildKit". */
const FLAGS: Record<string, string[]> = {
  FROM: ['platform'], RUN: [], COPY: ['from', 'chown'], ADD: ['chown'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'retries'],
};
const BUILDKIT_FLAGS = new Set(['mount', 'network', 'security', 'chmod', 'link', 'checksum', 'keep-git-dir', 'parents', 'exclude']);
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

function parseDirectives(lines: string[]): { escape: string; directives: Record<string, string>; start: number } {
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key in directives) throw new InvalidArgumentError(`only one ${key} parser directive can be used`);
    directives[key] = m[2]!;
  }
  const escape = directives.escape ?? '\\';
  if (escape !== '\\' && escape !== '`') throw new InvalidArgumentError(`invalid escape token '${escape}' does not match ` + '` or \\');
  return { escape, directives, start: i };
}

/** Whether a physical line (right-trimmed) ends with an unescaped escape character. */
function continues(line: string, escape: string): boolean {
  if (!line.endsWith(escape)) return false;
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === escape; i--) n++;
  return n % 2 === 1;
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { escape, directives, start } = parseDirectives(lines);
  const instructions: Instruction[] = [];
  let i = start;
  while (i < lines.length) {
    const first = lines[i]!.trim();
    const lineNo = i + 1;
    i++;
    if (first === '' || first.startsWith('#')) continue;
    let logical = first.trimEnd();
    while (continues(logical, escape)) {
      logical = logical.slice(0, -1);
      // Comments and empty lines inside a continuation are dropped.
      while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) i++;
      if (i >= lines.length) break;
      logical += lines[i]!.trimEnd();
      i++;
    }
    instructions.push(parseInstruction(logical, lineNo));
  }
  return { escape, directives, instructions };
}

/** One logical line → an instruction (keyword, flags, arguments, JSON form). */
export function parseInstruction(logical: string, line = 0): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(logical.trim());
  if (!m) throw new InvalidArgumentError(`Dockerfile parse error line ${line}: empty instruction`);
  const cmd = m[1]!.toUpperCase();
  if (!KNOWN.has(cmd)) throw new InvalidArgumentError(`Dockerfile parse error line ${line}: unknown instruction: ${m[1]!}`);
  let rest = m[2]!.trim();
  const flags: Record<string, string> = {};
  if (FLAGGED.has(cmd)) {
    for (;;) {
      const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      const name = f[1]!;
      if (!FLAGS[cmd]!.includes(name)) {
        if (BUILDKIT_FLAGS.has(name)) throw new InvalidArgumentError(`the --${name} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);
        throw new InvalidArgumentError(`Dockerfile parse error line ${line}: Unknown flag: ${name}`);
      }
      flags[name] = f[2] ?? 'true';
      rest = rest.slice(f[0].length);
    }
  }
  const inst: Instruction = { cmd, args: rest, flags, original: logical.trim(), line };
  const json = parseJsonForm(rest);
  if (json) inst.json = json;
  return inst;
}

/** `["a", "b"]` → ['a', 'b']; anything else (not JSON, not all strings) → undefined. */
export function parseJsonForm(s: string): string[] | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch (err) { onlyJsonSyntax(err); /* shell form */ }
  return undefined;
}

/** Splits a Dockerfile into stages: each begins at a FROM; ARGs before the first FROM are meta args. */
export function splitStages(df: Dockerfile, name = 'Dockerfile'): { metaArgs: Instruction[]; stages: Instruction[][] } {
  const metaArgs: Instruction[] = [];
  const stages: Instruction[][] = [];
  for (const inst of df.instructions) {
    if (inst.cmd === 'FROM') { stages.push([inst]); continue; }
    if (stages.length === 0) {
      if (inst.cmd !== 'ARG') throw new InvalidArgumentError(`Dockerfile parse error line ${inst.line}: no build stage in current context`);
      metaArgs.push(inst);
      continue;
    }
    stages.at(-1)!.push(inst);
  }
  if (stages.length === 0) throw new InvalidArgumentError(`the Dockerfile (${name}) cannot be empty`);
  return { metaArgs, stages };
}
