/**
 * How JS values stand in for Go values inside templates: their Go kind and type name (for
 * error messages like `can't evaluate field Foo in type string`), Go truthiness, and
 * fmt's `%v` rendering (`[a b]`, `map[k:v]`, `<nil>`, `{1 2}`, time.Time's String()).
 *
 * Mapping: undefined = missing value (prints `<no value>`), null = nil (`<nil>`), string,
 * integral number = int, other number = float64, bigint = int64, boolean = bool, Array =
 * slice, Map = map, Date = time.Time, plain object = map[string]interface {} (missing keys
 * are `<no value>`), an object registered with `goStruct` or a class instance = struct
 * (missing fields are an error), function = func (called with the command's arguments).
 */
import { formatFloat } from './float-format.ts';
import { GoDuration, GoJsonNumber, GoNilPtr, GoTime, goDurationText, goStringer, goTimeText, structPrintLayout, type PrintLayout } from './typed-values.ts';

export type Kind =
  | 'invalid' | 'nil' | 'string' | 'int' | 'float' | 'bool' | 'slice' | 'bytes' | 'map'
  | 'struct' | 'time' | 'func';

const structTypes = new WeakMap<object, string>();

/**
 * Marks `obj` as a Go struct named `typeName` (e.g. `*formatter.ContainerContext`): a field
 * it lacks is then an execution error, as in docker, instead of `<no value>`. Returns `obj`.
 */
export function goStruct<T extends object>(obj: T, typeName: string): T {
  structTypes.set(obj, typeName);
  return obj;
}

export function kindOf(v: unknown): Kind {
  if (v === undefined) return 'invalid';
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'string': return 'string';
    case 'number': return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint': return 'int';
    case 'boolean': return 'bool';
    case 'function': return 'func';
    case 'object': break;
    default: return 'string';
  }
  if (v instanceof GoNilPtr) return 'nil';
  if (v instanceof GoTime) return 'time';
  if (v instanceof GoDuration) return 'int';
  if (v instanceof GoJsonNumber) return 'string';
  if (Array.isArray(v)) return 'slice';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Map) return 'map';
  if (v instanceof Date) return 'time';
  if (structTypes.has(v as object)) return 'struct';
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null ? 'map' : 'struct';
}

/** Go's name for the value's type, as reflect would print it. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid': return '<nil>';
    case 'nil': return v instanceof GoNilPtr ? v.typeName : 'interface {}';
    case 'string': return v instanceof GoJsonNumber ? 'json.Number' : 'string';
    case 'int': return typeof v === 'bigint' ? 'int64' : v instanceof GoDuration ? 'time.Duration' : 'int';
    case 'float': return 'float64';
    case 'bool': return 'bool';
    case 'slice': return '[]interface {}';
    case 'bytes': return '[]uint8';
    case 'map': return v instanceof Map ? 'map[interface {}]interface {}' : 'map[string]interface {}';
    case 'time': return 'time.Time';
    case 'func': return 'func(...interface {}) interface {}';
    case 'struct': {
      const named = structTypes.get(v as object);
      if (named) return named;
      const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: string } }).constructor;
      return `*${ctor?.name || 'struct {}'}`;
    }
  }
}

/** Entries of a map-kind value, keys sorted like Go's fmt and range do. */
export function mapEntries(v: unknown): [unknown, unknown][] {
  const entries: [unknown, unknown][] = v instanceof Map
    ? [...v.entries()]
    : Object.entries(v as Record<string, unknown>);
  return entries.sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function mapSize(v: unknown): number {
  return v instanceof Map ? v.size : Object.keys(v as object).length;
}

/** Go's template truth: false, 0, "", nil and empty slices/maps are false. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid': case 'nil': return false;
    case 'string': return String(v).length > 0;
    case 'int': case 'float': return typeof v === 'bigint' ? v !== 0n : Number(v) !== 0;
    case 'bool': return v as boolean;
    case 'slice': case 'bytes': return (v as ArrayLike<unknown>).length > 0;
    case 'map': return mapSize(v) > 0;
    default: return true;
  }
}

/** fmt's `%v` of `v`; `top` renders a missing value as `<no value>` (template printing). */
export function formatValue(v: unknown, top = false): string {
  const str = typeof v === 'object' && v !== null ? goStringer(v) : undefined;
  if (str) return str();
  switch (kindOf(v)) {
    case 'invalid': return top ? '<no value>' : '<nil>';
    case 'nil': return '<nil>';
    case 'string': return String(v);
    case 'int': return v instanceof GoDuration ? goDurationText(v) : String(v);
    case 'float': return formatFloat(v as number, 'g', -1);
    case 'bool': return v ? 'true' : 'false';
    case 'slice': return `[${(v as unknown[]).map((e) => formatValue(e)).join(' ')}]`;
    case 'bytes': return `[${Array.from(v as Uint8Array).join(' ')}]`;
    case 'map':
      return `map[${mapEntries(v).map(([k, e]) => `${formatValue(k)}:${formatValue(e)}`).join(' ')}]`;
    case 'time': return v instanceof GoTime ? goTimeText(v) : goTimeString(v as Date);
    case 'func': return '0x0';
    case 'struct': {
      const layout = structPrintLayout(v as object);
      if (layout) return printLayout(v as Record<string, unknown>, layout);
      return `{${Object.values(v as object).map((e) => formatValue(e)).join(' ')}}`;
    }
  }
}

/** time.Time.String() in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
export function goTimeString(d: Date): string {
  if (Number.isNaN(d.getTime())) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = d.toISOString(); // 2024-01-02T03:04:05.678Z
  let frac = iso.slice(19, 23).replace(/\.?0+$/, '');
  if (frac === '.') frac = '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

function printLayout(v: Record<string, unknown>, layout: PrintLayout): string {
  return `{${layout.map((e) => (typeof e === 'string' ? formatValue(v[e]) : printLayout(v, e))).join(' ')}}`;
}
