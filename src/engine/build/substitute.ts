/**
 * Variable substitution and word handling for Dockerfile arguments, as the classic builder's
 * shell lexer does it: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
 * `${VAR+word}`, `${VAR:?msg}`; single quotes are literal, double quotes allow substitution,
 * the escape character (`\` or `` ` ``) escapes the next character; quotes are removed.
 *
 *   processWord('${A:-x}/"$B c"', { B: 'b' })   // 'x/b c'
 *   processWords('a "b c" $D', { D: '1 2' })     // ['a', 'b c', '1', '2']
 *   parseNameValues('A=1 B="x y"')              // [['A','1'], ['B','x y']] (before substitution: see dispatch)
 */
import { InvalidArgumentError } from '../../common/errors.ts';

export type Env = Record<string, string>;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  private i = 0;
  constructor(private readonly s: string, private readonly env: Env, private readonly escape: string) {}

  private peek(): string | undefined { return this.s[this.i]; }

  /**
   * Reads the whole input. With `split`, unquoted whitespace (literal or produced by an
   * unquoted substitution) separates words.
   */
  run(split: boolean): string[] {
    const words: string[] = [];
    let cur = '';
    let inWord = false;
    const flush = () => { if (inWord) words.push(cur); cur = ''; inWord = false; };
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (split && /\s/.test(c)) { this.i++; flush(); continue; }
      if (c === this.escape) {
        this.i++;
        const n = this.peek();
        if (n === undefined) { cur += c; inWord = true; continue; }
        cur += n; this.i++; inWord = true; continue;
      }
      if (c === "'") { cur += this.single(); inWord = true; continue; }
      if (c === '"') { cur += this.double(); inWord = true; continue; }
      if (c === '$') {
        const v = this.dollar();
        if (split) {
          const parts = v.split(/\s+/);
          for (let k = 0; k < parts.length; k++) {
            if (k > 0) flush();
            if (parts[k] !== '') { cur += parts[k]; inWord = true; }
          }
          if (v !== '' && !/\s$/.test(v)) inWord = true;
        } else {
          cur += v;
          inWord = true;
        }
        continue;
      }
      cur += c; this.i++; inWord = true;
    }
    flush();
    if (!split && words.length === 0) return [''];
    return words;
  }

  private single(): string {
    this.i++;
    const end = this.s.indexOf("'", this.i);
    if (end < 0) throw new InvalidArgumentError('unexpected end of statement while looking for matching single-quote');
    const out = this.s.slice(this.i, end);
    this.i = end + 1;
    return out;
  }

  private double(): string {
    this.i++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new InvalidArgumentError('unexpected end of statement while looking for matching double-quote');
      if (c === '"') { this.i++; return out; }
      if (c === '$') { out += this.dollar(); continue; }
      if (c === this.escape) {
        const n = this.s[this.i + 1];
        if (n === '"' || n === '$' || n === this.escape) { out += n; this.i += 2; continue; }
      }
      out += c; this.i++;
    }
  }

  /** At `$`: a substitution, or a literal `$`. */
  private dollar(): string {
    this.i++;
    const c = this.peek();
    if (c === '{') return this.braced();
    if (c === undefined || !NAME_START.test(c)) return '$';
    let name = '';
    while (this.peek() !== undefined && NAME_CHAR.test(this.peek()!)) name += this.s[this.i++];
    return this.env[name] ?? '';
  }

  private braced(): string {
    this.i++;
    let name = '';
    while (this.peek() !== undefined && NAME_CHAR.test(this.peek()!)) name += this.s[this.i++];
    if (name === '') throw new InvalidArgumentError(`missing ':' in substitution`);
    const c = this.peek();
    if (c === '}') { this.i++; return this.env[name] ?? ''; }
    let op = '';
    if (c === ':') { op = ':'; this.i++; }
    const o = this.peek();
    if (o !== '-' && o !== '+' && o !== '?') throw new InvalidArgumentError(`unsupported modifier (${op}${o ?? ''}) in substitution`);
    op += o;
    this.i++;
    const word = this.untilBrace();
    const set = name in this.env;
    const nonEmpty = set && this.env[name] !== '';
    const ok = op.startsWith(':') ? nonEmpty : set;
    switch (op.replace(':', '')) {
      case '-': return ok ? this.env[name]! : word;
      case '+': return ok ? word : '';
      default:
        if (!ok) throw new InvalidArgumentError(`${name}: ${word || 'is not allowed to be unset'}`);
        return this.env[name]!;
    }
  }

  /** The word of `${VAR:-word}` up to the matching `}`, itself substituted. */
  private untilBrace(): string {
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new InvalidArgumentError('syntax error: missing \'}\'');
      if (c === '}') { this.i++; return out; }
      if (c === '$') { out += this.dollar(); continue; }
      if (c === "'") { out += this.single(); continue; }
      if (c === '"') { out += this.double(); continue; }
      if (c === this.escape && this.s[this.i + 1] !== undefined) { out += this.s[this.i + 1]; this.i += 2; continue; }
      out += c; this.i++;
    }
  }
}

/** One word with substitutions, quotes removed. */
export function processWord(s: string, env: Env, escape = '\\'): string {
  return new Lexer(s, env, escape).run(false).join('');
}

/** Substitutes and splits into words on unquoted whitespace. */
export function processWords(s: string, env: Env, escape = '\\'): string[] {
  return new Lexer(s, env, escape).run(true);
}

/**
 * Splits on unquoted whitespace WITHOUT substituting or removing quotes (the raw words of
 * `ENV a=1 b="x y"` / `LABEL …`).
 */
export function rawWords(s: string, escape = '\\'): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === escape && quote !== "'" && i + 1 < s.length) { cur += c + s[i + 1]; i++; continue; }
    if (quote) { if (c === quote) quote = undefined; cur += c; continue; }
    if (c === '"' || c === "'") { quote = c; cur += c; continue; }
    if (/\s/.test(c)) { if (cur) out.push(cur); cur = ''; continue; }
    cur += c;
  }
  if (quote) throw new InvalidArgumentError(`unexpected end of statement while looking for matching ${quote === '"' ? 'double' : 'single'}-quote`);
  if (cur) out.push(cur);
  return out;
}

/**
 * `ENV`/`LABEL`/`ARG` key-value pairs, substituted: `k=v k2="a b"`, or the legacy
 * `ENV k some value` (one pair: the rest of the line is the value).
 */
export function parseNameValues(cmd: string, args: string, env: Env, escape = '\\'): [string, string][] {
  const words = rawWords(args, escape);
  if (words.length === 0) throw new InvalidArgumentError(`${cmd} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    if (cmd === 'LABEL') throw new InvalidArgumentError(`LABEL requires at least one argument`);
    const key = words[0]!;
    const value = args.trim().slice(key.length).trim();
    if (value === '') throw new InvalidArgumentError(`${cmd} must have two arguments`);
    return [[processWord(key, env, escape), processWord(value, env, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw new InvalidArgumentError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    const key = processWord(w.slice(0, eq), env, escape);
    if (key === '') throw new InvalidArgumentError(`${cmd} names can not be blank`);
    return [key, processWord(w.slice(eq + 1), env, escape)];
  });
}
