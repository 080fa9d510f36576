/**
 * A small YAML reader for configuration files written by tools (CDI specs from nvidia-ctk and
 * friends): block mappings and sequences, plain / single- / double-quoted scalars, flow
 * sequences and mappings on one line, comments, `---` document start. Anchors, tags, block
 * scalars (`|`, `>`), multi-line plain scalars and several documents are refused with a
 * line-numbered message rather than misread. JSON text is valid input (it is one flow value).
 */

export class YamlError extends Error {}

interface Line { indent: number; text: string; no: number }

/** Strips a ` # comment` that is outside quotes. */
function stripComment(s: string): string {
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (q === '"' && c === '\\') i++;
      else if (c === q) q = undefined;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:]/.test(s[i - 1]!)) q = c;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  let docs = 0;
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, idx) => {
    if (/^\t/.test(raw) || /^ *\t/.test(raw) && raw.trim() !== '') throw new YamlError(`line ${idx + 1}: tabs are not allowed for indentation`);
    const text2 = stripComment(raw);
    if (text2.trim() === '') return;
    if (/^---(\s|$)/.test(text2)) {
      if (++docs > 1 || out.length) throw new YamlError(`line ${idx + 1}: only one document is supported`);
      const rest = text2.slice(3).trim();
      if (rest) out.push({ indent: 0, text: rest, no: idx + 1 });
      return;
    }
    if (/^\.\.\.\s*$/.test(text2)) return;
    const indent = text2.length - text2.trimStart().length;
    out.push({ indent, text: text2.trim(), no: idx + 1 });
  });
  return out;
}

const isSeqItem = (t: string) => t === '-' || t.startsWith('- ');

/** Index of the `:` that ends a mapping key, or -1. */
function keyEnd(t: string): number {
  if (t.startsWith('"') || t.startsWith("'")) {
    const q = t[0]!;
    let i = 1;
    for (; i < t.length; i++) {
      if (q === '"' && t[i] === '\\') { i++; continue; }
      if (t[i] === q) {
        if (q === "'" && t[i + 1] === "'") { i++; continue; }
        break;
      }
    }
    const j = i + 1;
    return t[j] === ':' && (j + 1 === t.length || t[j + 1] === ' ') ? j : -1;
  }
  if (t.startsWith('[') || t.startsWith('{')) return -1;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === ':' && (i + 1 === t.length || t[i + 1] === ' ')) return i;
  }
  return -1;
}

function unquoteDouble(s: string, no: number): string {
  try {
    return JSON.parse(s.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\\//g, '/').replace(/\t/g, '\\t')) as string;
  } catch {
    throw new YamlError(`line ${no}: bad double-quoted string ${s}`);
  }
}

function plainScalar(s: string, no: number): unknown {
  if (s === '' || s === '~' || /^(null|Null|NULL)$/.test(s)) return null;
  if (/^(true|True|TRUE)$/.test(s)) return true;
  if (/^(false|False|FALSE)$/.test(s)) return false;
  if (/^[-+]?\d+$/.test(s)) return Number(s);
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (/^[&*!|>%@`]/.test(s)) throw new YamlError(`line ${no}: unsupported YAML syntax: ${s}`);
  return s;
}

/** One flow value (`[..]`, `{..}`, quoted or plain scalar) from `s` at `pos`. */
function flowValue(s: string, pos: { i: number }, no: number, inFlow: boolean): unknown {
  const ws = () => { while (s[pos.i] === ' ') pos.i++; };
  ws();
  const c = s[pos.i];
  if (c === '[' || c === '{') {
    const close = c === '[' ? ']' : '}';
    pos.i++;
    const arr: unknown[] = [];
    const obj: Record<string, unknown> = {};
    ws();
    if (s[pos.i] === close) { pos.i++; return c === '[' ? arr : obj; }
    for (;;) {
      if (c === '[') arr.push(flowValue(s, pos, no, true));
      else {
        const k = flowValue(s, pos, no, true);
        ws();
        if (s[pos.i] !== ':') throw new YamlError(`line ${no}: expected ':' in flow mapping`);
        pos.i++;
        obj[String(k)] = flowValue(s, pos, no, true);
      }
      ws();
      if (s[pos.i] === ',') { pos.i++; ws(); if (s[pos.i] === close) { pos.i++; break; } continue; }
      if (s[pos.i] === close) { pos.i++; break; }
      throw new YamlError(`line ${no}: unterminated flow collection`);
    }
    return c === '[' ? arr : obj;
  }
  if (c === '"') {
    let j = pos.i + 1;
    for (; j < s.length && s[j] !== '"'; j++) if (s[j] === '\\') j++;
    if (j >= s.length) throw new YamlError(`line ${no}: unterminated string`);
    const v = unquoteDouble(s.slice(pos.i, j + 1), no);
    pos.i = j + 1;
    return v;
  }
  if (c === "'") {
    let j = pos.i + 1;
    let out = '';
    for (; j < s.length; j++) {
      if (s[j] === "'") {
        if (s[j + 1] === "'") { out += "'"; j++; continue; }
        break;
      }
      out += s[j];
    }
    if (j >= s.length) throw new YamlError(`line ${no}: unterminated string`);
    pos.i = j + 1;
    return out;
  }
  let j = pos.i;
  if (inFlow) {
    while (j < s.length && !/[,\]}]/.test(s[j]!) && !(s[j] === ':' && (s[j + 1] === ' ' || s[j + 1] === undefined || /[,\]}]/.test(s[j + 1]!)))) j++;
  } else j = s.length;
  const raw = s.slice(pos.i, j).trim();
  pos.i = j;
  return plainScalar(raw, no);
}

function inlineValue(s: string, no: number): unknown {
  const pos = { i: 0 };
  const v = flowValue(s, pos, no, false);
  if (s.slice(pos.i).trim() !== '') throw new YamlError(`line ${no}: unexpected text after value: ${s.slice(pos.i).trim()}`);
  return v;
}

class Parser {
  i = 0;
  constructor(private readonly ls: Line[]) {}

  block(indent: number): unknown {
    const l = this.ls[this.i]!;
    if (isSeqItem(l.text)) return this.seq(indent);
    if (keyEnd(l.text) >= 0) return this.map(indent);
    this.i++;
    const v = inlineValue(l.text, l.no);
    const next = this.ls[this.i];
    if (next && next.indent > indent) throw new YamlError(`line ${next.no}: multi-line values are not supported`);
    return v;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.i < this.ls.length && this.ls[this.i]!.indent === indent && isSeqItem(this.ls[this.i]!.text)) {
      const l = this.ls[this.i]!;
      const rest = l.text.slice(1).trimStart();
      if (rest === '') {
        this.i++;
        const n = this.ls[this.i];
        out.push(n && n.indent > indent ? this.block(n.indent) : null);
        continue;
      }
      const inner = indent + (l.text.length - rest.length);
      this.ls[this.i] = { indent: inner, text: rest, no: l.no };
      out.push(this.block(inner));
    }
    const n = this.ls[this.i];
    if (n && n.indent > indent) throw new YamlError(`line ${n.no}: bad indentation`);
    return out;
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.i < this.ls.length && this.ls[this.i]!.indent === indent && !isSeqItem(this.ls[this.i]!.text)) {
      const l = this.ls[this.i]!;
      const k = keyEnd(l.text);
      if (k < 0) throw new YamlError(`line ${l.no}: expected "key: value", got: ${l.text}`);
      const rawKey = l.text.slice(0, k).trim();
      const key = String(inlineValue(rawKey, l.no) ?? '');
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlError(`line ${l.no}: duplicate key "${key}"`);
      const rest = l.text.slice(k + 1).trim();
      this.i++;
      if (rest === '') {
        const n = this.ls[this.i];
        if (n && (n.indent > indent || (n.indent === indent && isSeqItem(n.text)))) out[key] = this.block(n.indent);
        else out[key] = null;
      } else {
        if (/^[|>][-+0-9]*$/.test(rest)) throw new YamlError(`line ${l.no}: block scalars are not supported`);
        out[key] = inlineValue(rest, l.no);
        const n = this.ls[this.i];
        if (n && n.indent > indent) throw new YamlError(`line ${n.no}: multi-line values are not supported`);
      }
    }
    const n = this.ls[this.i];
    if (n && n.indent > indent) throw new YamlError(`line ${n.no}: bad indentation`);
    return out;
  }
}

/** Parses one YAML document (the subset above); throws YamlError with a line number. */
export function parseYaml(text: string): unknown {
  const ls = lines(text);
  if (!ls.length) return null;
  const p = new Parser(ls);
  const v = p.block(ls[0]!.indent);
  if (p.i < ls.length) throw new YamlError(`line ${ls[p.i]!.no}: unexpected content: ${ls[p.i]!.text}`);
  return v;
}
