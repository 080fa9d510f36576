/** Detach key sequences (`ctrl-p,ctrl-q`, `ctrl-a,a`): parsing and a stream scanner. */
import { InvalidArgumentError } from '../../common/errors.ts';

export const DEFAULT_DETACH_KEYS = [0x10, 0x11];

export function parseDetachKeys(spec: string | null | undefined): number[] {
  if (!spec) return DEFAULT_DETACH_KEYS;
  return spec.split(',').map((k) => {
    const key = k.trim();
    if (key.length === 1) return key.charCodeAt(0);
    const m = /^ctrl-([a-z@\[\\\]^_])$/i.exec(key);
    if (!m) throw new InvalidArgumentError(`Invalid detach keys (${spec}) provided`);
    const c = m[1]!.toLowerCase();
    return c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 }[c]!;
  });
}

/**
 * Passes bytes through until the key sequence appears; returns what to forward and whether
 * the sequence completed. A partial match at a chunk's end is held back until resolved.
 */
export class DetachScanner {
  private matched = 0;
  constructor(private readonly keys: number[]) {}

  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.matched > 0) { out.push(...this.keys.slice(0, this.matched)); this.matched = 0; }
      if (b === this.keys[0]) { this.matched = 1; continue; }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
