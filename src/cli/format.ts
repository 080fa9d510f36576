/**
 * `--format` for CLI output: Go templates (json, table, …) and docker's default aligned
 * tables. Single objects (version, info, inspect, events) are first decoded into docker's Go
 * types (docker-go-types.ts), so templates see what they see in the docker CLI: nil slices
 * and maps with len 0, nil pointers, missing struct fields as errors, docker's field names.
 */
import { CliExit } from './context.ts';
import { DOCKER_TYPES } from './docker-go-types.ts';
import { compileTemplate, formatRows, goJson, goStruct, goTimeText, GoJsonNumber, GoTime, markGoMap, setJsonMarshaler, tabwrite, TemplateError, TypedDecoder } from '../common/go-template/index.ts';

const decoder = new TypedDecoder(DOCKER_TYPES, new Set(['registry.ServiceConfig']), {
  'units.Ulimit': (u) => `${u.Name}=${u.Soft}:${u.Hard}`,
  'blkiodev.WeightDevice': (w) => `${w.Path}:${w.Weight}`,
  'blkiodev.ThrottleDevice': (t) => `${t.Path}:${t.Rate}`,
});

/** `data` (API JSON) as docker's Go type `type` (e.g. `container.InspectResponse`). */
export function typed(type: string, data: unknown): unknown {
  return decoder.decode(type, data);
}

/**
 * Runs `format` on one API object typed as `type`, as docker's version/info/events do;
 * `json` means `{{json .}}`. Parse errors are CliExit(64) with docker's
 * `template parsing error: …`; execution errors are TemplateErrors with the output written
 * before them in `partial`.
 */
export function formatTyped(format: string, type: string, data: unknown, name = ''): string {
  const tmpl = compileTemplate(format === 'json' ? '{{json .}}' : format, { name });
  const r = tmpl.executePartial(typed(type, data));
  if (r.error) throw Object.assign(r.error, { partial: r.output });
  return r.output;
}

/** Parses an inspect/info/version template, or throws docker's exit-64 parse error. */
export function parseFormat(format: string, name = '') {
  try {
    return compileTemplate(format === 'json' ? '{{json .}}' : format, { name });
  } catch (e) {
    if (e instanceof TemplateError) throw new CliExit(64, `template parsing error: ${e.message}`);
    throw e;
  }
}

/**
 * docker's inspect with a template: runs it on the typed value; when that fails, runs it
 * again on the raw JSON map with `missingkey=error` (docker/cli cli/command/inspect). Returns
 * the output line, or throws TemplateError (`template parsing error: …` of the raw run).
 */
export function inspectFormat(tmpl: ReturnType<typeof compileTemplate>, type: string | undefined, raw: unknown): string {
  if (type) {
    const r = tmpl.executePartial(typed(type, raw));
    if (!r.error) return r.output;
  }
  const r = tmpl.executePartial(jsonNumbers(raw), undefined, { missingKey: 'error' });
  if (r.error) throw new TemplateError(`template parsing error: ${r.error.message}`);
  return r.output;
}

/** How list rows stand for docker's formatter contexts. */
export interface ListContext {
  /** The context's Go type, for errors: `*formatter.ContainerContext`. */
  typeName?: string;
  /** Per row, where rows are of different contexts (system df). */
  typeNames?: string[];
  /** Per row: the labels its `.Label "key"` method reads. */
  labels?: (Record<string, string> | null | undefined)[];
  /** Per row: the values its JSON has, where they differ from the columns (search's "true"). */
  jsonRows?: object[];
}

/**
 * One row as docker's formatter context: a struct whose fields are its methods (`Label`
 * taking a key, where given), and whose JSON is docker's formatter.MarshalJSON: every
 * argument-less method in a map (sorted keys), HTML-escaped.
 */
export function contextRow(row: object, typeName: string, labels?: Record<string, string> | null, json: object = row): object {
  const ctx: Record<string, unknown> = { ...row };
  if (labels !== undefined) ctx.Label = (name: unknown) => (labels ?? {})[String(name)] ?? '';
  setJsonMarshaler(ctx, () => {
    const plain: Record<string, unknown> = {};
    for (const k of Object.keys(json).sort()) plain[k] = (json as Record<string, unknown>)[k];
    return goJson(plain, true);
  });
  return goStruct(ctx, typeName);
}

/** JSON decoded as docker's raw inspect data is (json.Decoder.UseNumber): numbers are json.Number. */
function jsonNumbers(v: unknown): unknown {
  if (typeof v === 'number') return new GoJsonNumber(String(v));
  if (Array.isArray(v)) return v.map(jsonNumbers);
  if (v !== null && typeof v === 'object') return markGoMap(Object.fromEntries(Object.entries(v).map(([k, e]) => [k, jsonNumbers(e)])));
  return v;
}

/**
 * A list through `--format` (table or per-row template) or, with no format, through the
 * default table. `headers` maps field names to column titles.
 */
export function formatList(format: string | undefined, defaultFormat: string, rows: object[], headers: Record<string, string>, ctx: ListContext = {}): string {
  const f = format === undefined || format === '' || format === 'table' ? defaultFormat : format === 'json' ? '{{json .}}' : format;
  const typeName = ctx.typeName ?? '*formatter.Context';
  return formatRows(f, rows.map((r, i) => contextRow(r, ctx.typeNames?.[i] ?? typeName, ctx.labels ? ctx.labels[i] : undefined, ctx.jsonRows?.[i])), headers, { typeName });
}

export { tabwrite };

/** Go's time.Time.String() of an RFC 3339 timestamp (zero time when absent). */
export function goTimeString(rfc3339: string | undefined): string {
  return goTimeText(new GoTime(rfc3339 || '0001-01-01T00:00:00Z'));
}
