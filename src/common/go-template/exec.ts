/**
 * Executes a parsed template against JS data, following text/template's exec.go: variable
 * scopes that end at {{end}}, pipelines passing each command's result as the next one's
 * last argument, field chains on structs/maps, lazy and/or, range over slices, maps
 * (sorted keys) and integers, break/continue, and execution errors shaped like Go's
 * `template: :LINE:COL: executing "" at <NODE>: MESSAGE`.
 */
import type {
  ChainNode, CommandNode, FieldNode, IdentifierNode, ListNode, Node, PipeNode, RangeNode,
  VariableNode,
} from './nodes.ts';
import { nodeString } from './nodes.ts';
import type { FuncDef, FuncMap, ParamKind } from './funcs.ts';
import { TemplateError } from './template-error.ts';
import { GoNilPtr, goMethod } from './typed-values.ts';
import { formatValue, isTrue, kindOf, mapEntries, typeName } from './values.ts';

/** Marks "no value piped in" (distinct from a piped-in missing value, `undefined`). */
const NO_FINAL: unique symbol = Symbol('noFinal');
type Final = unknown;

class BreakSignal {}
class ContinueSignal {}

export class Executor {
  private vars: { name: string; value: unknown }[] = [];
  private node: Node | null = null;
  readonly out: string[] = [];

  /** `missingError`: Go's `missingkey=error` option (a map without the key is an error). */
  constructor(private readonly src: string, private readonly funcs: FuncMap, private readonly missingError = false) {}

  run(root: ListNode, data: unknown): void {
    this.vars = [{ name: '$', value: data }];
    this.walk(data, root);
  }

  // --- errors -------------------------------------------------------------------------

  private errorf(msg: string): never {
    if (!this.node) throw new TemplateError(`template: : ${msg}`);
    const pos = this.node.pos;
    const before = this.src.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = Buffer.byteLength(before.slice(nl + 1));
    throw new TemplateError(
      `template: :${line}:${col}: executing "" at <${nodeString(this.node)}>: ${msg}`,
    );
  }
  private at(n: Node): void { this.node = n; }

  // --- walking ------------------------------------------------------------------------

  private walk(dot: unknown, n: Node): void {
    this.at(n);
    switch (n.kind) {
      case 'list': for (const c of n.nodes) this.walk(dot, c); return;
      case 'text': this.out.push(n.text); return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.printValue(n, v);
        return;
      }
      case 'if': case 'with': {
        const mark = this.vars.length;
        try {
          const v = this.evalPipeline(dot, n.pipe);
          if (isTrue(v)) this.walk(n.kind === 'with' ? v : dot, n.list);
          else if (n.elseList) this.walk(dot, n.elseList);
        } finally {
          this.vars.length = mark;
        }
        return;
      }
      case 'range': this.walkRange(dot, n); return;
      case 'break': throw new BreakSignal();
      case 'continue': throw new ContinueSignal();
      default: this.errorf(`unknown node: ${nodeString(n)}`);
    }
  }

  private printValue(n: Node, v: unknown): void {
    this.at(n);
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type ${typeName(v)}`);
    this.out.push(formatValue(v, true));
  }

  private walkRange(dot: unknown, r: RangeNode): void {
    this.at(r);
    const outer = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): boolean => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          else this.vars[mark - 1]!.value = elem;
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.vars[mark - 2]!.value = index;
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e instanceof BreakSignal) return false;
          if (!(e instanceof ContinueSignal)) throw e;
        } finally {
          this.vars.length = mark;
        }
        return true;
      };
      let count = 0;
      switch (kindOf(val)) {
        case 'slice': case 'bytes':
          for (const [i, e] of Array.from(val as ArrayLike<unknown>).entries()) {
            count++;
            if (!one(i, e)) break;
          }
          break;
        case 'map':
          for (const [k, e] of mapEntries(val)) {
            count++;
            if (!one(k, e)) break;
          }
          break;
        case 'int': {
          const n = Number(val);
          if (decl.length > 1) this.errorf(`can't use ${nodeString(r.pipe)} to iterate over more than one variable`);
          for (let i = 0; i < n; i++) {
            count++;
            if (!one(i, i)) break;
          }
          break;
        }
        case 'invalid': case 'nil': break;
        default: this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (count === 0 && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.vars.length = outer;
    }
  }

  // --- variables ----------------------------------------------------------------------

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) { this.vars[i]!.value = value; return; }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // --- pipelines and commands ---------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field': return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain': return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier': return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable': return this.evalVariableNode(dot, first, cmd.args, final);
      default: break;
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': return this.errorf('nil is not a command');
      case 'number': return first.value;
      case 'string': return first.text;
      default: return this.errorf(`can't evaluate command ${nodeString(first)}`);
    }
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: Node[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: Node[], final: Final): unknown {
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, 'raw', chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: Node[], final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: string[], args: Node[], final: Final): unknown {
    for (let i = 0; i < ident.length - 1; i++) {
      receiver = this.evalField(dot, ident[i]!, node, [], NO_FINAL, receiver);
    }
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, receiver);
  }

  private evalField(dot: unknown, name: string, node: Node, args: Node[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) {
      if (this.missingError) this.errorf(`nil data; no entry for key "${name}"`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof GoNilPtr) {
      if (receiver.fields?.has(name)) this.errorf(`nil pointer evaluating ${receiver.typeName}.${name}`);
      this.errorf(`can't evaluate field ${name} in type ${receiver.typeName}`);
    }
    const hasArgs = args.length > 1 || final !== NO_FINAL;
    const method = typeof receiver === 'object' ? goMethod(receiver, name) : undefined;
    if (method) return this.evalCall(dot, { params: [], variadic: 'any', fn: method }, node, name, args, final);
    const kind = kindOf(receiver);
    if (kind === 'struct' && name in (receiver as object) && (Object.hasOwn(receiver as object, name) || !(name in Object.prototype))) {
      const value = (receiver as Record<string, unknown>)[name];
      if (typeof value === 'function') {
        const method: FuncDef = { params: [], variadic: 'any', fn: (value as (...a: unknown[]) => unknown).bind(receiver) };
        return this.evalCall(dot, method, node, name, args, final);
      }
      if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
      return value;
    }
    if (kind === 'map') {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      const has = receiver instanceof Map ? receiver.has(name) : Object.hasOwn(receiver as object, name);
      if (!has && this.missingError) this.errorf(`map has no entry for key "${name}"`);
      if (receiver instanceof Map) return receiver.get(name);
      return has ? (receiver as Record<string, unknown>)[name] : undefined;
    }
    return this.errorf(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: unknown, ident: IdentifierNode, cmd: Node, args: Node[], final: Final): unknown {
    this.at(ident);
    const def = this.funcs[ident.name];
    if (!def) return this.errorf(`"${ident.name}" is not a defined function`);
    return this.evalCall(dot, def, cmd, ident.name, args, final);
  }

  private evalCall(dot: unknown, def: FuncDef, node: Node, name: string, args: Node[], final: Final): unknown {
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final !== NO_FINAL ? 1 : 0);
    const fixed = def.params.length;
    if (def.variadic ? numIn < fixed : numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${def.variadic ? 'at least ' : ''}${fixed} got ${numIn}`);
    }
    const kindAt = (i: number): ParamKind => def.params[i] ?? def.variadic ?? 'any';
    if (def.lazy) {
      let v: unknown;
      const steps: (() => unknown)[] = argNodes.map((n, i) => () => this.evalArg(dot, kindAt(i), n));
      if (final !== NO_FINAL) steps.push(() => this.validateType(final, 'any'));
      for (const step of steps) {
        v = step();
        if (isTrue(v) === (def.lazy === 'or')) return v;
      }
      return v;
    }
    const argv = argNodes.map((n, i) => this.evalArg(dot, kindAt(i), n));
    if (final !== NO_FINAL) argv.push(this.validateType(final, kindAt(argNodes.length)));
    try {
      return def.fn(...argv);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      this.at(node);
      return this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private evalArg(dot: unknown, kind: ParamKind, n: Node): unknown {
    this.at(n);
    switch (n.kind) {
      case 'dot': return this.validateType(dot, kind);
      case 'nil':
        if (kind === 'any' || kind === 'raw') return null;
        return this.errorf(`cannot assign nil to ${goKindName(kind)}`);
      case 'field': return this.validateType(this.evalFieldNode(dot, n, [n], NO_FINAL), kind);
      case 'variable': return this.validateType(this.evalVariableNode(dot, n, [n], NO_FINAL), kind);
      case 'pipe': return this.validateType(this.evalPipeline(dot, n), kind);
      case 'identifier': return this.validateType(this.evalFunction(dot, n, n, [n], NO_FINAL), kind);
      case 'chain': return this.validateType(this.evalChainNode(dot, n, [n], NO_FINAL), kind);
      default: break;
    }
    switch (kind) {
      case 'any': case 'raw':
        if (n.kind === 'bool') return n.value;
        if (n.kind === 'number') return n.value;
        if (n.kind === 'string') return n.text;
        break;
      case 'string':
        if (n.kind === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.kind === 'number' && n.isInt) return n.value;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'strings': break;
    }
    return this.errorf(`can't handle ${nodeString(n)} for arg of type ${goKindName(kind)}`);
  }

  private validateType(v: unknown, kind: ParamKind): unknown {
    switch (kind) {
      case 'raw': return v;
      case 'any': return v === undefined ? null : v;
      case 'string':
        if (typeof v === 'string') return v;
        break;
      case 'int':
        if (typeof v === 'bigint') return Number(v);
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        break;
      case 'strings':
        if (v === null) return [];
        if (Array.isArray(v)) return v.map((e) => (typeof e === 'string' ? e : formatValue(e)));
        break;
    }
    if (v === undefined) return this.errorf(`invalid value; expected ${goKindName(kind)}`);
    return this.errorf(`wrong type for value; expected ${goKindName(kind)}; got ${typeName(v)}`);
  }
}

function goKindName(kind: ParamKind): string {
  switch (kind) {
    case 'string': return 'string';
    case 'int': return 'int';
    case 'strings': return '[]string';
    default: return 'interface {}';
  }
}
