/**
 * Compiles a Go text/template (the subset docker users write with `--format`) and runs it
 * against JS data. See values.ts for how JS values stand in for Go values, funcs.ts for the
 * available functions.
 *
 *   const t = compileTemplate('{{.Name}}: {{join .Tags ", "}}');
 *   t.execute({ Name: 'web', Tags: ['a', 'b'] }); // "web: a, b"
 */
import { Executor } from './exec.ts';
import { BASE_FUNCS, wrapFunc, type FuncMap, type TemplateFunc } from './funcs.ts';
import type { ListNode } from './nodes.ts';
import { parse } from './parser.ts';
import { TemplateError } from './template-error.ts';

export interface CompileOptions {
  /** The template's name, as Go's error messages show it (`template: NAME:1:2: executing "NAME" …`). */
  name?: string;
  /** Extra functions (or replacements), each called with its arguments as-is. */
  funcs?: Record<string, TemplateFunc>;
}

export interface ExecuteOptions {
  /** Go's `missingkey=` option: `error` makes a map without the key an execution error. */
  missingKey?: 'default' | 'error';
}

export class Template {
  /** @internal use compileTemplate */
  constructor(
    readonly source: string,
    private readonly root: ListNode,
    private readonly funcs: FuncMap,
    private readonly name = '',
  ) {}

  /** Renders the template with `data` as dot; throws TemplateError on execution errors. */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const r = this.executePartial(data, undefined, opts);
    if (r.error) throw r.error;
    return r.output;
  }

  /**
   * Renders like Go's Execute into a buffer: on error, `output` holds what was written
   * before it. `funcs` replaces functions by name (docker's table headers use this).
   */
  executePartial(data: unknown, funcs?: FuncMap, opts: ExecuteOptions = {}): { output: string; error?: TemplateError } {
    const ex = new Executor(this.source, funcs ? { ...this.funcs, ...funcs } : this.funcs, opts.missingKey === 'error');
    try {
      ex.run(this.root, data);
      return { output: ex.out.join('') };
    } catch (e) {
      if (e instanceof TemplateError) return { output: ex.out.join(''), error: named(e, this.name) };
      if (e instanceof RangeError) {
        return { output: ex.out.join(''), error: new TemplateError(`template: : ${e.message}`) };
      }
      throw e;
    }
  }
}

/** Parses `src`; throws TemplateError (`template: :1: unexpected "}" in operand`). */
export function compileTemplate(src: string, opts: CompileOptions = {}): Template {
  const funcs: FuncMap = { ...BASE_FUNCS };
  for (const [name, fn] of Object.entries(opts.funcs ?? {})) funcs[name] = wrapFunc(fn);
  let root: ListNode;
  try {
    root = parse(src, (name) => Object.hasOwn(funcs, name));
  } catch (e) {
    throw e instanceof TemplateError ? named(e, opts.name ?? '') : e;
  }
  return new Template(src, root, funcs, opts.name ?? '');
}

/** Puts the template's name where Go's messages have it. */
function named(e: TemplateError, name: string): TemplateError {
  if (!name) return e;
  return new TemplateError(e.message.replace(/^template: :/, `template: ${name}:`).replace(/ executing "" at /, ` executing "${name}" at `));
}
