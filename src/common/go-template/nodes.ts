/**
 * Parse tree of a Go text/template (the subset wharf supports), mirroring
 * text/template/parse node kinds. `nodeString` renders a node the way Go's Node.String()
 * does, which is what execution errors quote in `executing "" at <…>`.
 */

export type Node =
  | ListNode | TextNode | ActionNode | IfNode | RangeNode | WithNode | BreakNode | ContinueNode
  | PipeNode | CommandNode | FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode
  | NilNode | BoolNode | NumberNode | StringNode;

interface Base { pos: number; line?: number }

export interface ListNode extends Base { kind: 'list'; nodes: Node[] }
export interface TextNode extends Base { kind: 'text'; text: string }
export interface ActionNode extends Base { kind: 'action'; pipe: PipeNode }
export interface BranchParts extends Base {
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
export interface IfNode extends BranchParts { kind: 'if' }
export interface RangeNode extends BranchParts { kind: 'range' }
export interface WithNode extends BranchParts { kind: 'with' }
export interface BreakNode extends Base { kind: 'break' }
export interface ContinueNode extends Base { kind: 'continue' }
export interface PipeNode extends Base {
  kind: 'pipe';
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode extends Base { kind: 'command'; args: Node[] }
/** `.A.B` → ident ['A', 'B']. */
export interface FieldNode extends Base { kind: 'field'; ident: string[] }
/** `$x.A` → ident ['$x', 'A']. */
export interface VariableNode extends Base { kind: 'variable'; ident: string[] }
/** `(pipe).A.B` */
export interface ChainNode extends Base { kind: 'chain'; node: Node; field: string[] }
export interface IdentifierNode extends Base { kind: 'identifier'; name: string }
export interface DotNode extends Base { kind: 'dot' }
export interface NilNode extends Base { kind: 'nil' }
export interface BoolNode extends Base { kind: 'bool'; value: boolean }
/** A numeric constant; `isInt` when written as an integer (or a char constant). */
export interface NumberNode extends Base { kind: 'number'; text: string; value: number; isInt: boolean }
export interface StringNode extends Base { kind: 'string'; quoted: string; text: string }

/** Go's Node.String() for the node kinds that appear in error contexts. */
export function nodeString(n: Node): string {
  switch (n.kind) {
    case 'list': return n.nodes.map(nodeString).join('');
    case 'text': return n.text;
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'if': case 'range': case 'with': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} `;
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field': return n.ident.map((i) => `.${i}`).join('');
    case 'variable': return n.ident.join('.');
    case 'chain': {
      const head = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return head + n.field.map((f) => `.${f}`).join('');
    }
    case 'identifier': return n.name;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.quoted;
  }
}
