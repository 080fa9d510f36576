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
  /** Extra functions (or replacements), each called with its arguments as-is. */
  funcs?: Record<string, TemplateFunc>;
}

export class Template {
  /** @internal use compileTemplate */
  constructor(
    readonly source: string,
    private readonly root: ListNode,
    private readonly funcs: FuncMap,
  ) {}

  /** Renders the template with `data` as dot; throws TemplateError on execution errors. */
  execute(data: unknown): string {
    const r = this.executePartial(data);
    if (r.error) throw r.error;
    return r.output;
  }

  /**
   * Renders like Go's Execute into a buffer: on error, `output` holds what was written
   * before it. `funcs` replaces functions by name (docker's table headers use this).
   */
  executePartial(data: unknown, funcs?: FuncMap): { output: string; error?: TemplateError } {
    const ex = new Executor(this.source, funcs ? { ...this.funcs, ...funcs } : this.funcs);
    try {
      ex.run(this.root, data);
      return { output: ex.out.join('') };
    } catch (e) {
      if (e instanceof TemplateError) return { output: ex.out.join(''), error: e };
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
  const root = parse(src, (name) => Object.hasOwn(funcs, name));
  return new Template(src, root, funcs);
}
