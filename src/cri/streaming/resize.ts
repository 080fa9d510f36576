/**
 * The resize stream: a sequence of JSON objects `{"Width":W,"Height":H}` (client-go's
 * TerminalSize, one JSON value after another). Yields each size as it completes; ends with
 * the stream. Malformed input ends the iteration (kubelet's decoder stops the same way).
 */
import type { Readable } from 'node:stream';
import type { TerminalSize } from './contract.ts';

const MAX_OBJECT = 4096;

export async function* terminalSizes(input: AsyncIterable<Buffer | string> | Readable): AsyncGenerator<TerminalSize> {
  let text = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (;;) {
      const end = objectEnd(text);
      if (end === -2) return;
      if (end === -1) {
        if (text.length > MAX_OBJECT) return;
        break;
      }
      const piece = text.slice(0, end).trim();
      text = text.slice(end);
      let v: unknown;
      try { v = JSON.parse(piece); } catch { return; }
      const size = toSize(v);
      if (size) yield size;
    }
  }
}

/** Index just past the first complete top-level JSON object in s; -1 incomplete, -2 not an object. */
function objectEnd(s: string): number {
  let i = 0;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  if (i === s.length) return -1;
  if (s[i] !== '{') return -2;
  let depth = 0;
  let inStr = false;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Go's encoding/json matches field names case-insensitively. */
function toSize(v: unknown): TerminalSize | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  let width: number | undefined;
  let height: number | undefined;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const n = typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff ? x : undefined;
    if (k.toLowerCase() === 'width') width = n;
    if (k.toLowerCase() === 'height') height = n;
  }
  return { width: width ?? 0, height: height ?? 0 };
}
