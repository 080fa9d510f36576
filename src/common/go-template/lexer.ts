/**
 * Lexer for the Go text/template subset used by `--format`: splits a template into text and
 * action tokens the way Go's text/template/parse lexer does (trim markers `{{- ` / ` -}}`,
 * comments `{{/* *\/}}`, fields, variables, literals, keywords). Lexing stops at the first
 * error, which becomes an `error` token the parser reports with Go's wording.
 */

export type TokenType =
  | 'text' | 'leftDelim' | 'rightDelim' | 'space' | 'pipe' | 'leftParen' | 'rightParen'
  | 'declare' | 'assign' | 'char' | 'string' | 'rawString' | 'charConstant' | 'number'
  | 'bool' | 'nil' | 'dot' | 'field' | 'variable' | 'identifier' | 'keyword' | 'eof' | 'error';

export interface Token {
  type: TokenType;
  val: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set([
  'if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue',
]);

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/** Go's alphanumeric: underscore, Unicode letter or digit. */
export function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && /^[_\p{L}\p{Nd}]$/u.test(c);
}

const NUMBER_RE =
  /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)i?/;

/** Tokenises `input` completely; the last token is `eof` or `error`. */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (type: TokenType, val = input.slice(start, pos)): void => {
    tokens.push({ type, val, pos: start, line: startLine });
    start = pos;
    startLine = line;
  };
  const advanceTo = (to: number): void => {
    for (let i = pos; i < to; i++) if (input[i] === '\n') line++;
    pos = to;
  };
  const ignore = (): void => {
    start = pos;
    startLine = line;
  };
  const fail = (msg: string): Token[] => {
    tokens.push({ type: 'error', val: msg, pos: start, line: startLine });
    return tokens;
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    if (isSpace(input[pos]) && input[pos + 1] === '-' && input.startsWith(RIGHT, pos + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: false, trim: false };
  };
  const skipSpaceAfterTrim = (): void => {
    let p = pos;
    while (isSpace(input[p])) p++;
    advanceTo(p);
    ignore();
  };

  for (;;) {
    // Text up to the next left delimiter.
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      advanceTo(input.length);
      if (pos > start) emit('text');
      tokens.push({ type: 'eof', val: '', pos, line });
      return tokens;
    }
    const trimLeft = input[x + 2] === '-' && isSpace(input[x + 3]);
    let textEnd = x;
    if (trimLeft) while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    advanceTo(textEnd);
    if (pos > start) emit('text');
    advanceTo(x);
    ignore();
    // Left delimiter.
    advanceTo(x + 2);
    emit('leftDelim');
    if (trimLeft) {
      advanceTo(pos + 2);
      ignore();
    }
    // Comment?
    if (input.startsWith('/*', pos)) {
      const end = input.indexOf('*/', pos + 2);
      if (end < 0) return fail('unclosed comment');
      advanceTo(end + 2);
      const rd = atRightDelim();
      if (!rd.delim) return fail('comment ends before closing delimiter');
      tokens.pop(); // the leftDelim: comments produce nothing
      advanceTo(pos + (rd.trim ? 4 : 2));
      ignore();
      if (rd.trim) skipSpaceAfterTrim();
      continue;
    }
    // Inside the action.
    for (;;) {
      const rd = atRightDelim();
      if (rd.delim) {
        if (parenDepth > 0) return fail('unclosed left paren');
        if (rd.trim) {
          advanceTo(pos + 2);
          ignore();
        }
        advanceTo(pos + 2);
        emit('rightDelim');
        if (rd.trim) skipSpaceAfterTrim();
        break;
      }
      const c = input[pos];
      if (c === undefined) return fail('unclosed action');
      if (isSpace(c)) {
        let p = pos;
        // Stop before a space that starts a " -}}" trim marker.
        while (isSpace(input[p]) && !(input[p + 1] === '-' && input.startsWith(RIGHT, p + 2))) p++;
        advanceTo(p);
        emit('space');
        continue;
      }
      if (c === '=') { advanceTo(pos + 1); emit('assign'); continue; }
      if (c === ':') {
        if (input[pos + 1] !== '=') return fail('expected :=');
        advanceTo(pos + 2); emit('declare'); continue;
      }
      if (c === '|') { advanceTo(pos + 1); emit('pipe'); continue; }
      if (c === '(') { advanceTo(pos + 1); parenDepth++; emit('leftParen'); continue; }
      if (c === ')') {
        parenDepth--;
        if (parenDepth < 0) return fail(`unexpected right paren`);
        advanceTo(pos + 1); emit('rightParen'); continue;
      }
      if (c === '"' || c === "'") {
        const end = scanQuoted(input, pos, c);
        if (end < 0) return fail(c === '"' ? 'unterminated quoted string' : 'unterminated character constant');
        advanceTo(end); emit(c === '"' ? 'string' : 'charConstant'); continue;
      }
      if (c === '`') {
        const end = input.indexOf('`', pos + 1);
        if (end < 0) return fail('unterminated raw quoted string');
        advanceTo(end + 1); emit('rawString'); continue;
      }
      if (c === '$') {
        let p = pos + 1;
        while (isAlphaNumeric(input[p])) p++;
        advanceTo(p);
        if (!atTerminator()) return fail(`bad character ${quoteRune(input[pos]!)}`);
        emit('variable');
        continue;
      }
      if (c === '.' && !/[0-9]/.test(input[pos + 1] ?? '')) {
        let p = pos + 1;
        while (isAlphaNumeric(input[p])) p++;
        advanceTo(p);
        if (p === start + 1) { emit('dot'); continue; }
        if (!atTerminator()) return fail(`bad character ${quoteRune(input[pos]!)}`);
        emit('field');
        continue;
      }
      if (c === '.' || c === '+' || c === '-' || /[0-9]/.test(c)) {
        const m = NUMBER_RE.exec(input.slice(pos));
        const len = m ? m[0].length : 0;
        if (len === 0 || isAlphaNumeric(input[pos + len]) || (len === 1 && /[+-]/.test(c))) {
          if (len === 0 || (len === 1 && /[+-]/.test(c))) {
            advanceTo(pos + 1); emit('char'); continue;
          }
          return fail(`bad number syntax: ${JSON.stringify(input.slice(pos, pos + len + 1))}`);
        }
        advanceTo(pos + len); emit('number'); continue;
      }
      if (isAlphaNumeric(c)) {
        let p = pos;
        while (isAlphaNumeric(input[p])) p++;
        advanceTo(p);
        if (!atTerminator()) return fail(`bad character ${quoteRune(input[pos]!)}`);
        const word = input.slice(start, pos);
        if (KEYWORDS.has(word)) emit('keyword');
        else if (word === 'true' || word === 'false') emit('bool');
        else if (word === 'nil') emit('nil');
        else emit('identifier');
        continue;
      }
      if (c.charCodeAt(0) < 0x7f && c.charCodeAt(0) >= 0x20) { advanceTo(pos + 1); emit('char'); continue; }
      return fail(`unrecognized character in action: ${quoteRune(c)}`);
    }
  }

  function atTerminator(): boolean {
    const c = input[pos];
    if (c === undefined || isSpace(c)) return true;
    if ('.,|:)('.includes(c)) return true;
    return input.startsWith(RIGHT, pos) || c === RIGHT[0];
  }
}

/** End index (exclusive) of the quoted literal starting at `start`, or -1 if unterminated. */
function scanQuoted(input: string, start: number, quote: string): number {
  for (let p = start + 1; p < input.length; p++) {
    const d = input[p];
    if (d === '\\') {
      p++;
      if (input[p] === undefined || input[p] === '\n') return -1;
      continue;
    }
    if (d === '\n') return -1;
    if (d === quote) return p + 1;
  }
  return -1;
}

/** Go's %#U rendering of a rune, e.g. U+0021 '!'. */
function quoteRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}
