/**
 * Docker's `--format` handling for list commands (cli/command/formatter.Context): `table`
 * prefix → a header row rendered from `headers` with docker's HeaderFunctions, then one line
 * per row, all aligned by tabwriter(10, 1, 3, ' '); otherwise each row's output followed by
 * a newline. `json` alone means `{{json .}}`. Literal `\t` and `\n` in the format become
 * tab and newline, and surrounding spaces are trimmed, as docker does.
 */
import { HEADER_FUNCS } from './funcs.ts';
import { compileTemplate, type CompileOptions } from './template.ts';
import { TemplateError } from './template-error.ts';
import { tabwriteText } from './tabwriter.ts';
import { setGoMethods } from './typed-values.ts';
import { goStruct, kindOf } from './values.ts';

export interface FormatRowsOptions extends CompileOptions {
  /**
   * Go type name reported for an unknown field, e.g. `*formatter.ContainerContext`: rows
   * are structs, so `{{.Foo}}` fails like docker's. Default `*formatter.Context`.
   */
  typeName?: string;
  /** Format used when `format` is just `table` (the command's default table). */
  tableDefault?: string;
}

/** True when docker treats `format` as a table format. */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/**
 * Renders `rows` with a docker `--format` string. Throws TemplateError with docker's
 * `template parsing error: …` message when the template fails to parse or execute.
 */
export function formatRows(
  format: string,
  rows: readonly object[],
  headers: Record<string, string>,
  opts: FormatRowsOptions = {},
): string {
  const table = isTableFormat(format);
  let f = format;
  if (f === 'json') f = '{{json .}}';
  else if (table) {
    f = f.slice('table'.length);
    if (f.trim() === '' && opts.tableDefault !== undefined) {
      f = isTableFormat(opts.tableDefault) ? opts.tableDefault.slice('table'.length) : opts.tableDefault;
    }
  }
  f = f.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const wrap = (e: unknown): never => {
    if (e instanceof TemplateError) throw new TemplateError(`template parsing error: ${e.message}`);
    throw e;
  };
  let tmpl;
  try {
    tmpl = compileTemplate(f, opts);
  } catch (e) {
    return wrap(e);
  }
  const typeName = opts.typeName ?? '*formatter.Context';
  let body = '';
  for (const row of rows) {
    const dot = kindOf(row) === 'map' && !(row instanceof Map) ? goStruct({ ...row }, typeName) : row;
    try {
      body += `${tmpl.execute(dot)}\n`;
    } catch (e) {
      wrap(e);
    }
  }
  if (!table) return body;
  // Docker ignores header errors and keeps what was written before them.
  const header = tmpl.executePartial(setGoMethods({ ...headers }, { Label: headerLabel }), HEADER_FUNCS).output;
  return tabwriteText(`${header}\n${body}`);
}

/** docker's SubHeaderContext.Label: the key's last dot-part, `-` and `_` as spaces. */
function headerLabel(name: unknown): string {
  return String(name).split('.').pop()!.replace(/[-_]/g, ' ');
}
