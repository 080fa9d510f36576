/**
 * Go encoding/json output for template values, as docker's `json` template function
 * produces it: compact, map keys sorted, `[]byte` as base64, time.Time as RFC 3339 with
 * nanoseconds, U+2028/U+2029 escaped, and no trailing newline. Docker's Encoder has
 * SetEscapeHTML(false), so `<`, `>` and `&` stay literal unless `escapeHTML` is set.
 * Plain objects keep their key order (they stand for structs, which Go encodes in field
 * order); undefined members are left out, like `omitempty`.
 */
import { GoDuration, GoJsonNumber, GoTime, goTimeJson, isGoMap, isTypedNil, jsonMarshaler, structJsonFields, typedMapZero } from './typed-values.ts';
import { kindOf, mapEntries } from './values.ts';

export function goJson(v: unknown, escapeHTML = false): string {
  return encode(v, escapeHTML, new Set());
}

function encodeString(s: string, escapeHTML: boolean): string {
  let out = JSON.stringify(s)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
    .replace(/\\ud[89a-f][0-9a-f]{2}/g, '\\ufffd');
  if (escapeHTML) out = out.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return out;
}

/** time.Time.MarshalJSON: RFC 3339 with trailing zeros of the fraction removed. */
function encodeTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return '"0001-01-01T00:00:00Z"';
  const iso = d.toISOString();
  const frac = iso.slice(19, 23).replace(/\.?0+$/, '');
  return `"${iso.slice(0, 19)}${frac === '.' ? '' : frac}Z"`;
}

/** goJson of `v` ignoring its own MarshalJSON (for a MarshalJSON built on the default). */
export function goJsonDefault(v: object): string {
  return encode(v, false, new Set(), true);
}

function encode(v: unknown, escapeHTML: boolean, seen: Set<object>, own = false): string {
  switch (kindOf(v)) {
    case 'invalid': case 'nil': case 'func': return 'null';
    case 'string': return v instanceof GoJsonNumber ? v.text : encodeString(v as string, escapeHTML);
    case 'bool': return v ? 'true' : 'false';
    case 'int': return String(v instanceof GoDuration ? v.ns : v);
    case 'float': {
      const n = v as number;
      if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN'}`);
      return String(n);
    }
    case 'bytes': return `"${Buffer.from(v as Uint8Array).toString('base64')}"`;
    case 'time': return v instanceof GoTime ? goTimeJson(v) : encodeTime(v as Date);
    default: break;
  }
  const obj = v as object;
  if (isTypedNil(obj)) return 'null';
  const marshal = own ? undefined : jsonMarshaler(obj);
  if (marshal) return marshal();
  if (seen.has(obj)) throw new Error('json: unsupported value: encountered a cycle');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return `[${obj.map((e) => encode(e, escapeHTML, seen)).join(',')}]`;
    const toJSON = (obj as { toJSON?: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return encode(toJSON.call(obj), escapeHTML, seen);
    const fields = structJsonFields(obj);
    if (fields) {
      const parts: string[] = [];
      for (const [key, name, omitempty] of fields) {
        const e = (obj as Record<string, unknown>)[key];
        if (name === '-' || (omitempty && isEmptyValue(e))) continue;
        parts.push(`${encodeString(name, escapeHTML)}:${encode(e, escapeHTML, seen)}`);
      }
      return `{${parts.join(',')}}`;
    }
    const entries = obj instanceof Map || typedMapZero(obj) || isGoMap(obj) ? mapEntries(obj) : Object.entries(obj);
    const parts: string[] = [];
    for (const [k, e] of entries) {
      if (e === undefined || typeof e === 'function') continue;
      parts.push(`${encodeString(String(k), escapeHTML)}:${encode(e, escapeHTML, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

/** encoding/json's isEmptyValue, for `omitempty`. */
function isEmptyValue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid': case 'nil': return true;
    case 'string': return v === '';
    case 'bool': return v === false;
    case 'int': case 'float': return Number(v) === 0;
    case 'slice': case 'bytes': return (v as ArrayLike<unknown>).length === 0;
    case 'map': return v instanceof Map ? v.size === 0 : Object.keys(v as object).length === 0;
    default: return false;
  }
}
