/**
 * Go's fmt.Sprintf / Sprint / Sprintln over JS values (see values.ts for the type mapping):
 * verbs %v %s %d %q %x %X %o %O %b %c %U %e %E %f %F %g %G %t %T %%, flags `+ - # 0 space`,
 * width and precision (`*` too) and explicit argument indexes `%[2]d`, with fmt's error
 * forms `%!d(string=foo)`, `%!s(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`.
 * One leniency: an integral JS number is printed as a float by %f/%e/%g (JS cannot tell
 * int 5 from float64 5.0; Go would print `%!f(int=5)`).
 */
import { formatFloat } from './float-format.ts';
import { GoDuration, GoJsonNumber, GoTime, goDurationText, goStringer, goTimeText } from './typed-values.ts';
import { formatValue, goTimeString, kindOf, mapEntries, typeName } from './values.ts';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | null;
  prec: number | null;
}

export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const n = format.length;
  const argIndex = (): void => {
    const m = /^\[(\d+)\]/.exec(format.slice(i));
    if (!m) return;
    argNum = Number(m[1]) - 1;
    reordered = true;
    i += m[0].length;
  };
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) { out += format.slice(i); break; }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: null, prec: null };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '#') spec.sharp = true;
      else if (c === '0') spec.zero = true;
      else if (c === '+') spec.plus = true;
      else if (c === '-') spec.minus = true;
      else if (c === ' ') spec.space = true;
      else break;
    }
    argIndex();
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (typeof w === 'number' && Number.isInteger(w)) {
        spec.width = Math.abs(w);
        if (w < 0) spec.minus = true;
      } else out += '%!(BADWIDTH)';
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) { spec.width = Number(m[0]); i += m[0].length; }
    }
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (typeof p === 'number' && Number.isInteger(p) && p >= 0) spec.prec = p;
        else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    argIndex();
    if (i >= n) { out += '%!(NOVERB)'; break; }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') { out += '%'; continue; }
    if (argNum >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    out += formatArg(args[argNum++], verb, spec);
  }
  if (!reordered && argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (a == null ? '<nil>' : `${typeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, k) => {
    if (k > 0 && typeof a !== 'string' && typeof args[k - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, newline at the end. */
export function sprintln(args: unknown[]): string {
  return `${args.map((a) => formatValue(a)).join(' ')}\n`;
}

function badVerb(v: unknown, verb: string): string {
  if (v == null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
}

function pad(s: string, spec: Spec, numeric = false): string {
  const len = [...s].length;
  if (spec.width === null || len >= spec.width) return s;
  const fill = spec.width - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero) {
    if (numeric && /^[+\- ]/.test(s)) return s[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function sign(neg: boolean, spec: Spec): string {
  return neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
}

function formatArg(v: unknown, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(v == null ? '<nil>' : typeName(v), spec);
  if (v == null) return verb === 'v' ? pad('<nil>', spec) : badVerb(v, verb);
  // String() methods (time.Time, time.Duration, units.Ulimit …) answer %v and %s
  const str = v instanceof GoTime ? () => goTimeText(v) : v instanceof GoDuration ? () => goDurationText(v)
    : typeof v === 'object' ? goStringer(v) : undefined;
  if (str && (verb === 'v' || verb === 's')) return pad(str(), spec);
  if (v instanceof GoTime) return badVerb(v, verb);
  const kind = kindOf(v);
  switch (kind) {
    case 'bool':
      return verb === 'v' || verb === 't' ? pad(String(v), spec) : badVerb(v, verb);
    case 'int':
      return formatInt(typeof v === 'bigint' ? v : BigInt(Number(v)), verb, spec, v);
    case 'float':
      return formatFloatArg(v as number, verb, spec);
    case 'string':
      if (v instanceof GoJsonNumber && !'svqxX'.includes(verb)) return badVerb(v, verb);
      return formatString(String(v), verb, spec);
    case 'bytes':
      if (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') {
        return formatString(Buffer.from(v as Uint8Array).toString('latin1'), verb, spec);
      }
      return `[${Array.from(v as Uint8Array).map((e) => formatArg(e, verb, { ...spec, width: null })).join(' ')}]`;
    case 'slice':
      return `[${(v as unknown[]).map((e) => formatArg(e, verb, spec)).join(' ')}]`;
    case 'map':
      return `map[${mapEntries(v).map(([k, e]) => `${formatArg(k, verb, spec)}:${formatArg(e, verb, spec)}`).join(' ')}]`;
    case 'time':
      return verb === 'v' || verb === 's' ? pad(goTimeString(v as Date), spec) : badVerb(v, verb);
    case 'struct':
      return `{${Object.values(v as object).map((e) => formatArg(e, verb, spec)).join(' ')}}`;
    default:
      return verb === 'v' ? pad(formatValue(v), spec) : badVerb(v, verb);
  }
}

function formatInt(n: bigint, verb: string, spec: Spec, orig: unknown): string {
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v': case 'd': digits = abs.toString(10); break;
    case 'b': digits = abs.toString(2); if (spec.sharp) prefix = '0b'; break;
    case 'o': digits = abs.toString(8); if (spec.sharp) prefix = '0'; break;
    case 'O': digits = abs.toString(8); prefix = '0o'; break;
    case 'x': digits = abs.toString(16); if (spec.sharp) prefix = '0x'; break;
    case 'X': digits = abs.toString(16).toUpperCase(); if (spec.sharp) prefix = '0X'; break;
    case 'c': return pad(String.fromCodePoint(Number(n)), spec);
    case 'q': return pad(quoteRune(Number(n)), spec);
    case 'U': {
      const hex = abs.toString(16).toUpperCase().padStart(4, '0');
      return pad(spec.sharp ? `U+${hex} '${String.fromCodePoint(Number(n))}'` : `U+${hex}`, spec);
    }
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      return formatFloatArg(Number(n), verb, spec);
    default: return badVerb(orig, verb);
  }
  if (spec.prec !== null) {
    if (spec.prec === 0 && abs === 0n) digits = '';
    digits = digits.padStart(spec.prec, '0');
    return pad(sign(neg, spec) + prefix + digits, { ...spec, zero: false }, true);
  }
  return pad(sign(neg, spec) + prefix + digits, spec, true);
}

function formatFloatArg(f: number, verb: string, spec: Spec): string {
  let s: string;
  switch (verb) {
    case 'v': s = formatFloat(f, 'g', spec.prec ?? -1); break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      s = formatFloat(f, verb as 'e', spec.prec ?? (verb === 'g' || verb === 'G' ? -1 : 6));
      break;
    default: return badVerb(f, verb);
  }
  if (s === 'NaN' || s.endsWith('Inf')) {
    if (s === '+Inf' && !spec.plus) s = spec.space ? ' Inf' : 'Inf';
    return pad(s, { ...spec, zero: false });
  }
  if (!s.startsWith('-')) s = sign(false, spec) + s;
  return pad(s, spec, true);
}

function formatString(s: string, verb: string, spec: Spec): string {
  if (spec.prec !== null && (verb === 's' || verb === 'v' || verb === 'q')) {
    s = [...s].slice(0, spec.prec).join('');
  }
  switch (verb) {
    case 'v': case 's': return pad(s, spec);
    case 'q':
      if (spec.sharp && !/[`\x00-\x08\x0a-\x1f\x7f]/.test(s)) return pad(`\`${s}\``, spec);
      return pad(quote(s, spec.plus), spec);
    case 'x': case 'X': {
      const bytes = [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
      let hex = spec.space ? bytes.join(' ') : bytes.join('');
      if (verb === 'X') hex = hex.toUpperCase();
      return pad(hex, spec);
    }
    default: return badVerb(s, verb);
  }
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function escapeRune(ch: string, q: string, asciiOnly: boolean): string {
  const cp = ch.codePointAt(0)!;
  if (ch === q || ch === '\\') return `\\${ch}`;
  if (PRINTABLE.test(ch) && (!asciiOnly || cp < 0x80)) return ch;
  const named: Record<string, string> = {
    '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v',
  };
  if (named[ch]) return named[ch]!;
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** strconv.Quote (or QuoteToASCII). */
export function quote(s: string, asciiOnly = false): string {
  return `"${[...s].map((ch) => escapeRune(ch, '"', asciiOnly)).join('')}"`;
}

function quoteRune(cp: number): string {
  const ch = cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  return `'${escapeRune(ch, "'", false)}'`;
}
