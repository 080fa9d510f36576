/**
 * Parser for the Go text/template subset: turns lexer tokens into the tree in nodes.ts,
 * following text/template/parse (pipelines with declarations, commands, operands, field
 * chains, if/else if/else, range with `$i, $e :=`, with/else with, break/continue) and
 * reporting errors with Go's wording (`template: :LINE: unexpected … in operand`).
 * `define`, `template` and `block` are rejected: `--format` never needs them.
 */
import { lex, type Token, type TokenType } from './lexer.ts';
import type {
  BranchParts, CommandNode, ListNode, Node, NumberNode, PipeNode, VariableNode,
} from './nodes.ts';
import { nodeString } from './nodes.ts';
import { TemplateError } from './template-error.ts';

interface EndMark { kind: 'end' | 'else'; pos: number; line: number }

/** Parses `src`; `hasFunction` says whether an identifier names a known function. */
export function parse(src: string, hasFunction: (name: string) => boolean): ListNode {
  return new Parser(src, hasFunction).parseAll();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private current: Token;

  constructor(src: string, private readonly hasFunction: (name: string) => boolean) {
    this.tokens = lex(src);
    this.current = this.tokens[0]!;
  }

  parseAll(): ListNode {
    const root: ListNode = { kind: 'list', pos: 0, nodes: [] };
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if ('kind' in n && (n.kind === 'end' || n.kind === 'else')) {
        this.errorf(`unexpected {{${n.kind}}}`);
      }
      root.nodes.push(n as Node);
    }
    return root;
  }

  // --- token stream -------------------------------------------------------------------

  private next(): Token {
    const t = this.tokens[Math.min(this.i, this.tokens.length - 1)]!;
    this.i++;
    this.current = t;
    if (t.type === 'error') this.errorf(t.val);
    return t;
  }
  private peek(): Token {
    const t = this.tokens[Math.min(this.i, this.tokens.length - 1)]!;
    if (t.type === 'error') { this.current = t; this.errorf(t.val); }
    return t;
  }
  private backup(n = 1): void { this.i -= n; }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    // nextNonSpace may have skipped spaces; leave them consumed like Go does.
    return t;
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private errorf(msg: string): never {
    throw new TemplateError(`template: :${this.current.line}: ${msg}`);
  }
  private unexpected(t: Token, context: string): never {
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  // --- lists and actions --------------------------------------------------------------

  private itemList(): { list: ListNode; next: EndMark } {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return { list, next: n as EndMark };
      list.nodes.push(n as Node);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | EndMark {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { kind: 'text', pos: t.pos, text: t.val };
    if (t.type === 'leftDelim') return this.action();
    this.unexpected(t, 'input');
  }

  private action(): Node | EndMark {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'if': return { kind: 'if', ...this.control('if') };
        case 'range': return { kind: 'range', ...this.control('range') };
        case 'with': return { kind: 'with', ...this.control('with') };
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', pos: t.pos, line: t.line };
        case 'else': {
          const p = this.peekNonSpace();
          if (p.type === 'keyword' && (p.val === 'if' || p.val === 'with')) {
            return { kind: 'else', pos: p.pos, line: p.line };
          }
          this.expect('rightDelim', 'else');
          return { kind: 'else', pos: t.pos, line: t.line };
        }
        case 'break': case 'continue': {
          if (this.rangeDepth === 0) this.errorf(`{{${t.val}}} outside {{range}}`);
          this.expect('rightDelim', `{{${t.val}}}`);
          return { kind: t.val, pos: t.pos, line: t.line };
        }
        default:
          this.errorf(`{{${t.val}}} is not supported in --format templates`);
      }
    }
    this.backup();
    const pos = this.peek().pos;
    // Declared variables persist until the enclosing {{end}}.
    return { kind: 'action', pos, line: t.line, pipe: this.pipeline('command', 'rightDelim') };
  }

  private control(context: 'if' | 'range' | 'with'): BranchParts {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      const { list, next } = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.kind === 'else') {
        const p = this.peekNonSpace();
        if ((context === 'if' || context === 'with') && p.type === 'keyword' && p.val === context) {
          // "{{else if …}}" is "{{else}}{{if …}}…{{end}}{{end}}" sharing one {{end}}.
          this.nextNonSpace();
          const nested = { kind: context, ...this.control(context) } as Node;
          elseList = { kind: 'list', pos: next.pos, nodes: [nested] };
        } else {
          const r = this.itemList();
          if (r.next.kind !== 'end') this.errorf(`expected end; found {{${r.next.kind}}}`);
          elseList = r.list;
        }
      }
      return { pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  // --- pipelines ----------------------------------------------------------------------

  private pipeline(context: string, end: TokenType): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case 'bool': case 'charConstant': case 'dot': case 'field': case 'identifier':
        case 'number': case 'nil': case 'rawString': case 'string': case 'variable': case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const save = this.i;
      this.next();
      const n = this.peekNonSpace();
      const decl: VariableNode = { kind: 'variable', pos: v.pos, ident: [v.val] };
      if (n.type === 'assign' || n.type === 'declare') {
        this.nextNonSpace();
        pipe.isAssign = n.type === 'assign';
        if (pipe.isAssign && !this.vars.includes(v.val)) this.errorf(`undefined variable "${v.val}"`);
        pipe.decl.push(decl);
        this.vars.push(v.val);
        return;
      }
      if (n.type === 'char' && n.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(decl);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace();
          if (p.type === 'variable' || p.type === 'rightDelim' || p.type === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]!.kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().type !== 'field') return node;
    const chainPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case 'field': return { kind: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'variable': return { kind: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
      default: return { kind: 'chain', pos: chainPos, node, field: fields };
    }
  }

  private term(): Node | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunction(t.val)) this.errorf(`function "${t.val}" not defined`);
        return { kind: 'identifier', pos: t.pos, name: t.val };
      case 'dot': return { kind: 'dot', pos: t.pos };
      case 'nil': return { kind: 'nil', pos: t.pos };
      case 'variable': {
        if (!this.vars.includes(t.val)) this.errorf(`undefined variable "${t.val}"`);
        return { kind: 'variable', pos: t.pos, ident: [t.val] };
      }
      case 'field': return { kind: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool': return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'number': case 'charConstant': return this.number(t);
      case 'leftParen': return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string': return { kind: 'string', pos: t.pos, quoted: t.val, text: this.unquote(t.val) };
      case 'rawString':
        return { kind: 'string', pos: t.pos, quoted: t.val, text: t.val.slice(1, -1).replace(/\r/g, '') };
    }
    this.backup();
    return null;
  }

  private number(t: Token): NumberNode {
    if (t.type === 'charConstant') {
      const s = this.unquote(`"${t.val.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`);
      const cps = [...s];
      if (cps.length !== 1) this.errorf(`malformed character constant: ${t.val}`);
      return { kind: 'number', pos: t.pos, text: t.val, value: cps[0]!.codePointAt(0)!, isInt: true };
    }
    const text = t.val;
    if (text.endsWith('i')) this.errorf(`complex numbers are not supported: ${text}`);
    const clean = text.replace(/_/g, '');
    const sign = clean.startsWith('-') ? -1 : 1;
    const body = clean.replace(/^[+-]/, '');
    let value: number;
    let isInt = true;
    if (/^0[xX][0-9a-fA-F]+$/.test(body)) value = parseInt(body.slice(2), 16);
    else if (/^0[bB][01]+$/.test(body)) value = parseInt(body.slice(2), 2);
    else if (/^0[oO]?[0-7]+$/.test(body)) value = parseInt(body.replace(/^0[oO]?/, ''), 8);
    else if (/^[0-9]+$/.test(body)) value = parseInt(body, 10);
    else {
      value = Number(body);
      isInt = false;
      if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(body) || Number.isNaN(value)) {
        this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
      }
    }
    return { kind: 'number', pos: t.pos, text, value: sign * value, isInt };
  }

  /** strconv.Unquote for a double-quoted Go string literal. */
  private unquote(quoted: string): string {
    const body = quoted.slice(1, -1);
    const bytes: number[] = [];
    const pushStr = (s: string): void => { bytes.push(...Buffer.from(s, 'utf8')); };
    for (let k = 0; k < body.length; k++) {
      const c = body[k]!;
      if (c !== '\\') {
        const cp = body.codePointAt(k)!;
        const ch = String.fromCodePoint(cp);
        pushStr(ch);
        k += ch.length - 1;
        continue;
      }
      const e = body[++k];
      const simple: Record<string, string> = {
        a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"',
      };
      if (e !== undefined && e in simple) { pushStr(simple[e]!); continue; }
      const hex = (len: number): number => {
        const h = body.slice(k + 1, k + 1 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) this.errorf('invalid syntax');
        k += len;
        return parseInt(h, 16);
      };
      if (e === 'x') { bytes.push(hex(2)); continue; }
      if (e === 'u') { pushStr(String.fromCodePoint(hex(4))); continue; }
      if (e === 'U') { pushStr(String.fromCodePoint(hex(8))); continue; }
      if (e !== undefined && /[0-7]/.test(e)) {
        const o = body.slice(k, k + 3);
        if (!/^[0-7]{3}$/.test(o)) this.errorf('invalid syntax');
        bytes.push(parseInt(o, 8) & 0xff);
        k += 2;
        continue;
      }
      this.errorf('invalid syntax');
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

/** Go's item.String(). */
function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (t.type === 'keyword') return `<${t.val}>`;
  if ([...t.val].length > 10) return `${JSON.stringify([...t.val].slice(0, 10).join(''))}...`;
  return JSON.stringify(t.val);
}
