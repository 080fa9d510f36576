/**
 * The Go values typed decoding (typed.ts) produces that plain JS values cannot stand for:
 * nil pointers, nil slices and maps (marked), time.Time, time.Duration, and the encoding/json
 * layout of typed structs.
 */
import { goDuration } from '../human.ts';

/** A nil `*T`. */
export class GoNilPtr {
  constructor(readonly typeName: string, readonly fields: ReadonlySet<string> | null) {}
}

/** time.Time, kept as RFC 3339 text (nanoseconds intact). */
export class GoTime {
  constructor(readonly text: string) {}
}

/** encoding/json's Number (docker's raw inspect data): a string type holding the number's text. */
export class GoJsonNumber {
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

/** time.Duration in nanoseconds; prints as Go's Duration.String(). */
export class GoDuration {
  constructor(readonly ns: number) {}
  valueOf(): number { return this.ns; }
}

/** How a struct encodes with encoding/json: [property, json name, omitempty]. */
export type JsonField = readonly [key: string, json: string, omitempty: boolean];

const nilValues = new WeakSet<object>();
const mapZero = new WeakMap<object, () => unknown>();
const structJson = new WeakMap<object, readonly JsonField[]>();

/** A struct's fields for fmt's `%v`: promoted fields of an embedded struct stay grouped. */
export type PrintLayout = readonly (string | PrintLayout)[];
const structPrint = new WeakMap<object, PrintLayout>();
export function setStructPrint(v: object, layout: PrintLayout): void { structPrint.set(v, layout); }
export function structPrintLayout(v: object): PrintLayout | undefined { return structPrint.get(v); }

export function markNil(v: object): void { nilValues.add(v); }

const goMaps = new WeakSet<object>();
/** Marks a plain object as a Go map: encoding/json sorts its keys. */
export function markGoMap<T extends object>(v: T): T { goMaps.add(v); return v; }
export function isGoMap(v: object): boolean { return goMaps.has(v); }
export function setMapZero(m: object, zero: () => unknown): void { mapZero.set(m, zero); }
export function setStructJson(v: object, fields: readonly JsonField[]): void { structJson.set(v, fields); }

/** True for a typed nil slice or map (encodes as `null`). */
export function isTypedNil(v: unknown): boolean {
  return typeof v === 'object' && v !== null && nilValues.has(v);
}

/** The zero value `index` yields for a missing key of a typed map; undefined for untyped maps. */
export function typedMapZero(m: object): (() => unknown) | undefined {
  return mapZero.get(m);
}

/** The encoding/json field list of a typed struct value, if it is one. */
export function structJsonFields(v: object): readonly JsonField[] | undefined {
  return structJson.get(v);
}

/** Go's time.Time.String() of RFC 3339 text: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
export function goTimeText(t: GoTime): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(t.text);
  if (!m) return t.text;
  const frac = (m[3] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
  const zone = m[4] === 'Z' || m[4] === '+00:00' || m[4] === '-00:00' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac} ${zone}`;
}

/** time.Time.MarshalJSON of the kept text: fraction's trailing zeros dropped, UTC as `Z`. */
export function goTimeJson(t: GoTime): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(t.text);
  if (!m) return JSON.stringify(t.text);
  const frac = (m[2] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
  const zone = m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3];
  return `"${m[1]}${frac}${zone}"`;
}

/** Go's time.Duration.String(): `1h2m3.5s`, `300ms`, `0s`. */
export function goDurationText(d: GoDuration): string {
  return goDuration(d.ns);
}

const marshalers = new WeakMap<object, () => string>();

/** Gives `v` a MarshalJSON: `json` then writes what `fn` returns, as is. */
export function setJsonMarshaler<T extends object>(v: T, fn: () => string): T {
  marshalers.set(v, fn);
  return v;
}

export function jsonMarshaler(v: object): (() => string) | undefined {
  return marshalers.get(v);
}

const methods = new WeakMap<object, Record<string, (...args: unknown[]) => unknown>>();

/** Gives a value (a map, typically) Go methods, which field lookup tries before keys. */
export function setGoMethods<T extends object>(v: T, m: Record<string, (...args: unknown[]) => unknown>): T {
  methods.set(v, m);
  return v;
}

export function goMethod(v: object, name: string): ((...args: unknown[]) => unknown) | undefined {
  const m = methods.get(v);
  return m && Object.hasOwn(m, name) ? m[name] : undefined;
}

const stringers = new WeakMap<object, () => string>();

/** Gives a value a String() method: fmt's `%v` prints what it returns. */
export function setStringer<T extends object>(v: T, fn: () => string): T {
  stringers.set(v, fn);
  return v;
}

export function goStringer(v: object): (() => string) | undefined {
  return stringers.get(v);
}
