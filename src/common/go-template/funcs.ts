/**
 * The functions a `--format` template can call: Go text/template's builtins (printf, print,
 * println, len, index, slice, eq/ne/lt/le/gt/ge, and/or/not, html, js, urlquery, call) and
 * docker's additions (json, split, join, title, lower, upper, pad, truncate), plus docker's
 * header variants used to render a table's header row (json/split/join/title/lower/upper/
 * truncate return their first argument untouched there).
 *
 * Each function declares its Go parameter kinds so the executor can reject wrong
 * arguments with text/template's messages; a thrown Error becomes `error calling NAME: …`.
 */
import { goJson } from './json.ts';
import { sprint, sprintf, sprintln } from './printf.ts';
import { GoNilPtr, typedMapZero } from './typed-values.ts';
import { formatValue, isTrue, kindOf, mapSize, typeName } from './values.ts';

/** Go parameter kinds: `raw` passes a missing value through as undefined. */
export type ParamKind = 'any' | 'raw' | 'string' | 'int' | 'strings';

export interface FuncDef {
  params: ParamKind[];
  /** Kind of the trailing variadic parameter, if any. */
  variadic?: ParamKind;
  /** and/or: arguments are evaluated lazily by the executor. */
  lazy?: 'and' | 'or';
  fn: (...args: any[]) => unknown;
}

export type FuncMap = Record<string, FuncDef>;

/** A user-supplied template function: every argument is passed as-is (variadic `any`). */
export type TemplateFunc = (...args: any[]) => unknown;

export function wrapFunc(fn: TemplateFunc): FuncDef {
  return { params: [], variadic: 'any', fn };
}

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  if (ch.charCodeAt(0) <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

function repeat(n: number): string {
  if (n < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(n);
}

function indexArg(index: unknown, cap: number): number {
  if (index === null || index === undefined) throw new Error('cannot index slice/array with nil');
  const k = kindOf(index);
  if (k !== 'int') throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('index of untyped nil');
  for (const ix of indexes) {
    if (item === null || item === undefined || item instanceof GoNilPtr) throw new Error('index of nil pointer');
    const k = kindOf(item);
    if (k === 'slice' || k === 'bytes' || k === 'string') {
      const seq = k === 'string' ? Buffer.from(String(item)) : (item as ArrayLike<unknown>);
      const x = indexArg(ix, seq.length);
      if (x >= seq.length) throw new Error(`index out of range: ${x}`);
      item = seq[x];
    } else if (k === 'map') {
      if (item instanceof Map) item = item.get(ix);
      else {
        const key = String(ix);
        const zero = typedMapZero(item as object);
        item = Object.hasOwn(item as object, key) ? (item as Record<string, unknown>)[key] : zero ? zero() : undefined;
      }
    } else {
      throw new Error(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (item instanceof GoNilPtr) throw new Error('slice of nil pointer');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  if (k === 'string' && indexes.length === 3) throw new Error('cannot 3-index slice a string');
  if (k !== 'string' && k !== 'slice' && k !== 'bytes') throw new Error(`can't slice item of type ${typeName(item)}`);
  const seq = k === 'string' ? Buffer.from(String(item)) : (item as unknown[] | Uint8Array);
  const idx = [0, seq.length];
  indexes.forEach((ix, i) => { idx[i] = indexArg(ix, seq.length); });
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  const part = seq.slice(idx[0], idx[1]);
  return k === 'string' ? Buffer.from(part as Uint8Array).toString('utf8') : part;
}

function len(item: unknown): number {
  if (item === null || item === undefined || item instanceof GoNilPtr) throw new Error('len of nil pointer');
  switch (kindOf(item)) {
    case 'string': return Buffer.byteLength(String(item));
    case 'slice': case 'bytes': return (item as ArrayLike<unknown>).length;
    case 'map': return mapSize(item);
    default: throw new Error(`len of type ${typeName(item)}`);
  }
}

type Basic = 'bool' | 'number' | 'string' | 'nil' | 'other';

function basicKind(v: unknown): Basic {
  switch (kindOf(v)) {
    case 'bool': return 'bool';
    case 'int': case 'float': return 'number';
    case 'string': return 'string';
    case 'invalid': case 'nil': return 'nil';
    default: return 'other';
  }
}

const BAD_COMPARISON = 'incompatible types for comparison';

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new Error('missing argument for comparison');
  const ka = basicKind(a);
  for (const b of bs) {
    const kb = basicKind(b);
    if (ka !== kb) {
      if (ka !== 'nil' && kb !== 'nil') throw new Error(BAD_COMPARISON);
      continue;
    }
    if (ka === 'nil') return true;
    if (ka === 'other') {
      const k = kindOf(a);
      if (k === 'slice' || k === 'map' || k === 'func' || k === 'bytes') {
        throw new Error(`non-comparable type ${formatValue(a)}: ${typeName(a)}`);
      }
      if (a === b) return true;
      continue;
    }
    if (typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a as number) === BigInt(b as number) : ka === 'number' ? Number(a) === Number(b) : ka === 'string' ? String(a) === String(b) : a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'nil' || ka === 'other' || kb === 'nil' || kb === 'other') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error(BAD_COMPARISON);
  if (ka === 'bool') throw new Error('invalid type for comparison');
  return ka === 'number' ? Number(a) < Number(b) : String(a) < String(b);
}

function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined ? '<no value>' : a)));
}

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\ufffd' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '\\' || c === "'" || c === '"') out += `\\${c}`;
    else if ('<>&='.includes(c) || cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (typeof fn !== 'function') {
    throw new Error(fn == null ? 'call of nil' : `non-function of type ${typeName(fn)}`);
  }
  return (fn as TemplateFunc)(...args);
}

/** Go's builtins plus docker's basicFunctions. */
export const BASE_FUNCS: FuncMap = {
  and: { params: ['any'], variadic: 'any', lazy: 'and', fn: () => undefined },
  or: { params: ['any'], variadic: 'any', lazy: 'or', fn: () => undefined },
  not: { params: ['any'], fn: (v: unknown) => !isTrue(v) },
  len: { params: ['any'], fn: len },
  index: { params: ['any'], variadic: 'any', fn: index },
  slice: { params: ['any'], variadic: 'any', fn: slice },
  print: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprint(a) },
  printf: { params: ['string'], variadic: 'any', fn: (f: string, ...a: unknown[]) => sprintf(f, a) },
  println: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprintln(a) },
  eq: { params: ['any'], variadic: 'any', fn: eq },
  ne: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !eq(a, b) },
  lt: { params: ['any', 'any'], fn: lt },
  le: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => lt(a, b) || eq(a, b) },
  gt: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !(lt(a, b) || eq(a, b)) },
  ge: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !lt(a, b) },
  html: { params: [], variadic: 'any', fn: (...a: unknown[]) => htmlEscape(evalArgs(a)) },
  js: { params: [], variadic: 'any', fn: (...a: unknown[]) => jsEscape(evalArgs(a)) },
  urlquery: { params: [], variadic: 'any', fn: (...a: unknown[]) => queryEscape(evalArgs(a)) },
  call: { params: ['any'], variadic: 'any', fn: call },
  // docker/cli templates.basicFunctions
  json: { params: ['any'], fn: (v: unknown) => goJson(v) },
  split: { params: ['string', 'string'], fn: (s: string, sep: string) => (sep === '' ? [...s] : s.split(sep)) },
  join: { params: ['strings', 'string'], fn: (a: string[], sep: string) => a.join(sep) },
  title: { params: ['string'], fn: title },
  lower: { params: ['string'], fn: (s: string) => s.toLowerCase() },
  upper: { params: ['string'], fn: (s: string) => s.toUpperCase() },
  pad: {
    params: ['string', 'int', 'int'],
    fn: (s: string, pre: number, post: number) => (s === '' ? s : repeat(pre) + s + repeat(post)),
  },
  truncate: {
    params: ['string', 'int'],
    fn: (s: string, n: number) => {
      const chars = [...s];
      if (chars.length < n) return s;
      if (n < 0) throw new Error(`runtime error: slice bounds out of range [:${n}]`);
      return chars.slice(0, n).join('');
    },
  },
};

const identity = (v: string): string => v;

/** docker/cli templates.HeaderFunctions: keep the header text intact. */
export const HEADER_FUNCS: FuncMap = {
  json: { params: ['string'], fn: identity },
  split: { params: ['string', 'string'], fn: identity },
  join: { params: ['string', 'string'], fn: identity },
  title: { params: ['string'], fn: identity },
  lower: { params: ['string'], fn: identity },
  upper: { params: ['string'], fn: identity },
  truncate: { params: ['string', 'int'], fn: identity },
};
