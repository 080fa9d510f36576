/**
 * `--format` for CLI output: Go templates (json, table, …) over plain objects, and docker's
 * default aligned tables.
 */
import { compileTemplate, formatRows, tabwrite } from '../common/go-template/index.ts';

/** One object through a template (version, info, inspect). `json` → compact JSON. */
export function formatOne(format: string, data: unknown): string {
  if (format === 'json') return JSON.stringify(data);
  return compileTemplate(format).execute(data);
}

/**
 * A list through `--format` (table or per-row template) or, with no format, through the
 * default table. `headers` maps field names to column titles.
 */
export function formatList(format: string | undefined, defaultFormat: string, rows: object[], headers: Record<string, string>): string {
  const f = format === undefined || format === '' || format === 'table' ? defaultFormat : format === 'json' ? '{{json .}}' : format;
  return formatRows(f, rows, headers);
}

export { tabwrite };
