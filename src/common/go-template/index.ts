/**
 * Go text/template for `--format`, docker's table formatting and Go's tabwriter.
 * The public surface; see template.ts, table-format.ts and tabwriter.ts.
 */
export { compileTemplate, Template, type CompileOptions, type ExecuteOptions } from './template.ts';
export { TypedDecoder, type GoSchema, type FieldSpec } from './typed.ts';
export { setJsonMarshaler, GoJsonNumber, GoTime, goTimeText, markGoMap } from './typed-values.ts';
export { formatRows, isTableFormat, type FormatRowsOptions } from './table-format.ts';
export { tabwrite, tabwriteText, type TabwriterOptions } from './tabwriter.ts';
export { TemplateError } from './template-error.ts';
export { goStruct } from './values.ts';
export { goJson } from './json.ts';
export { sprintf } from './printf.ts';
export { formatFloat } from './float-format.ts';
export type { TemplateFunc } from './funcs.ts';
