/**
 * Detach key sequences (`ctrl-p,ctrl-q`, `ctrl-a,a`, the attach and exec `detachKeys`):
 * parsing and a stream scanner, for the daemon's attach/exec pump and the CLI's stdin alike.
 */
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
    const keys = this.keys;
    // Most input holds no key byte: forwarded as it is, without a copy.
    if (this.matched === 0 && (keys.length === 0 || chunk.indexOf(keys[0]!) < 0)) return { forward: chunk, detach: false };
    const out: Buffer[] = [];
    // Bytes of `chunk` from runStart on are not yet forwarded and not part of a match.
    let runStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === keys[this.matched]) {
        if (this.matched === 0 && i > runStart) out.push(chunk.subarray(runStart, i));
        this.matched++;
        runStart = i + 1;
        if (this.matched === keys.length) return { forward: join(out), detach: true };
        continue;
      }
      if (this.matched > 0) {
        // Not the sequence after all: the held-back key bytes go through.
        out.push(Buffer.from(keys.slice(0, this.matched)));
        this.matched = 0;
        if (b === keys[0]) { this.matched = 1; runStart = i + 1; continue; }
        runStart = i;
      }
    }
    if (this.matched === 0 && runStart < chunk.length) out.push(chunk.subarray(runStart));
    return { forward: join(out), detach: false };
  }
}

function join(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
