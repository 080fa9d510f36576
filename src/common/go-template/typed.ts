/**
 * Go-typed template data: decodes API JSON into values that behave like the Go structs the
 * docker CLI decodes it into, so `--format` templates see docker's types.
 *
 * A schema names each struct type and lists its fields as `[name, type, jsonName, flags]`
 * (flags: `o` omitempty, `e` embedded). Types are Go syntax: `string`, `bool`, `int`,
 * `int64`, `uint64`, `float64`, `[]T`, `[N]T`, `map[K]V`, `*T`, a struct name from the
 * schema, `any` (interface{}), `time` (time.Time), `duration` (time.Duration), `struct{}`.
 *
 * What decoding gives (see values.ts for how the executor treats each):
 * - a JSON null or absent slice → a nil slice (len 0, ranges over nothing, prints `[]`,
 *   encodes as `null`); a null map → a nil map (len 0, `index` gives the element's zero
 *   value); a null pointer → GoNilPtr (prints `<nil>`, a field through it is docker's
 *   `nil pointer evaluating *T.F` error);
 * - absent struct fields → their zero value; fields the struct lacks are dropped, and asking
 *   a struct for a field it lacks is an error, as in Go;
 * - embedded structs' fields are promoted (flattened), as Go's field lookup and encoding/json
 *   both do;
 * - `index` on a typed map with a missing key gives the element's zero value ("" for
 *   map[string]string), not `<no value>`.
 */
import { goJson, goJsonDefault } from './json.ts';
import { GoDuration, GoNilPtr, GoTime, markNil, setJsonMarshaler, setMapZero, setStringer, setStructJson, setStructPrint, type JsonField, type PrintLayout } from './typed-values.ts';
import { goStruct } from './values.ts';

export type FieldSpec = readonly [name: string, type: string, json: string, flags: string];
export type GoSchema = Readonly<Record<string, readonly FieldSpec[]>>;

const INTS = new Set(['int', 'int8', 'int16', 'int32', 'int64', 'uint', 'uint8', 'uint16', 'uint32', 'uint64']);

interface Flat { key: string; type: string; json: string; omit: boolean }

/** Decodes JSON data (already parsed) as Go type `type` under `schema`. */
export class TypedDecoder {
  private readonly flat = new Map<string, Flat[]>();
  private readonly layouts = new Map<string, PrintLayout>();

  /**
   * `mapJson`: struct types whose MarshalJSON goes through a map, so their JSON (and what is
   * inside) has its keys sorted (registry.ServiceConfig in docker 28).
   */
  constructor(
    private readonly schema: GoSchema,
    private readonly mapJson: ReadonlySet<string> = new Set(),
    /** String() methods by struct type: `%v` prints them (units.Ulimit's `nofile=1024:2048`). */
    private readonly stringers: Readonly<Record<string, (v: Record<string, unknown>) => string>> = {},
  ) {}

  decode(type: string, json: unknown): unknown {
    return this.value(type, json, false);
  }

  /** The zero value of `type`. */
  zero(type: string): unknown {
    return this.value(type, undefined, false);
  }

  /** Struct fields with embedded structs' fields promoted, in Go's order. */
  private fields(name: string): Flat[] {
    let f = this.flat.get(name);
    if (f) return f;
    f = [];
    const promotes = (flags: string, ftype: string, fjson: string) => flags.includes('e') && !!this.schema[ftype.replace(/^\*/, '')] && fjson === '';
    // a struct's own fields shadow the promoted ones of the same name (Go's depth rule)
    const seen = new Set((this.schema[name] ?? []).filter(([, t, j, fl]) => !promotes(fl, t, j)).map(([n]) => n));
    for (const [fname, ftype, fjson, flags] of this.schema[name] ?? []) {
      if (promotes(flags, ftype, fjson)) {
        for (const sub of this.fields(ftype.replace(/^\*/, ''))) if (!seen.has(sub.key)) { seen.add(sub.key); f.push(sub); }
        continue;
      }
      f.push({ key: fname, type: ftype, json: fjson || fname, omit: flags.includes('o') });
    }
    this.flat.set(name, f);
    return f;
  }

  /** The `%v` grouping of a struct's (flattened) fields. */
  private layout(name: string): PrintLayout {
    const cached = this.layouts.get(name);
    if (cached) return cached;
    const out: (string | PrintLayout)[] = [];
    for (const [fname, ftype, fjson, flags] of this.schema[name] ?? []) {
      const inner = ftype.replace(/^\*/, '');
      if (flags.includes('e') && this.schema[inner] && fjson === '') out.push(this.layout(inner));
      else out.push(fname);
    }
    this.layouts.set(name, out);
    return out;
  }

  private value(type: string, json: unknown, viaPtr: boolean): unknown {
    if (type.startsWith('*')) {
      const inner = type.slice(1);
      if (json === null || json === undefined) {
        return new GoNilPtr(type, this.schema[inner] ? new Set(this.fields(inner).map((f) => f.key)) : null);
      }
      return this.value(inner, json, true);
    }
    if (type.startsWith('[]')) {
      const elem = type.slice(2);
      if (elem === 'string' && typeof json === 'string') return [json]; // strslice.StrSlice
      if (!Array.isArray(json)) {
        const nil: unknown[] = [];
        markNil(nil);
        return nil;
      }
      return json.map((e) => this.value(elem, e, false));
    }
    const arr = /^\[(\d+)\](.*)$/.exec(type);
    if (arr) {
      const n = Number(arr[1]);
      const src = Array.isArray(json) ? json : [];
      return Array.from({ length: n }, (_, i) => this.value(arr[2]!, src[i], false));
    }
    const map = /^map\[([^\]]*)\](.*)$/.exec(type);
    if (map) {
      const elem = map[2]!;
      const out: Record<string, unknown> = {};
      if (json === null || typeof json !== 'object' || Array.isArray(json)) markNil(out);
      else for (const [k, v] of Object.entries(json)) out[k] = this.value(elem, v, false);
      setMapZero(out, () => this.zero(elem));
      return out;
    }
    if (INTS.has(type) || type === 'float64' || type === 'float32') {
      return typeof json === 'number' ? json : 0;
    }
    switch (type) {
      case 'string': return typeof json === 'string' ? json : '';
      case 'bool': return typeof json === 'boolean' ? json : false;
      case 'any': return json === undefined ? null : json;
      case 'time': return new GoTime(typeof json === 'string' ? json : '0001-01-01T00:00:00Z');
      case 'duration': return new GoDuration(typeof json === 'number' ? json : 0);
      case 'struct{}': return goStruct({}, 'struct {}');
      default: break;
    }
    if (!this.schema[type]) return json === undefined ? null : json;
    const src = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    const jsonFields: JsonField[] = [];
    for (const f of this.fields(type)) {
      out[f.key] = this.value(f.type, Object.hasOwn(src, f.json) ? src[f.json] : undefined, false);
      jsonFields.push([f.key, f.json, f.omit]);
    }
    setStructJson(out, jsonFields);
    setStructPrint(out, this.layout(type));
    const str = this.stringers[type];
    if (str) setStringer(out, () => str(out));
    if (this.mapJson.has(type)) {
      setJsonMarshaler(out, () => goJson(sortKeys(JSON.parse(goJsonDefault(out)))));
    }
    return goStruct(out, viaPtr ? `*${type}` : type);
  }
}


function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}
