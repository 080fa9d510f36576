/**
 * The error a `--format` template raises when it fails to parse or execute. Its message has
 * Go's text/template shape: `template: :1: unexpected "}" in operand` for parse errors,
 * `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type …` for
 * execution errors. The CLI prints it (docker prefixes "template parsing error: ").
 */
import { InvalidArgumentError } from '../errors.ts';

export class TemplateError extends InvalidArgumentError {}
