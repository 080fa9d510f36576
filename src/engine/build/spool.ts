/**
 * An append-only byte spool: the first `memoryLimit` bytes in memory (32 MiB chunks, each
 * its own mmap, so freeing one gives it back to the system), the rest in a private file.
 * A fully cached build of a context that fits in memory never writes it to disk (whose
 * dirty-page throttling, on a busy disk, cost seconds per upload).
 *
 *   const s = new Spool('/var/lib/wharf/build/<id>/context.data', 256 << 20);
 *   const at = s.length; s.append(chunk);
 *   s.read(buf, 0, n, at);
 *   s.close();
 */
import fs from 'node:fs';

const CHUNK = 32 << 20;

export class Spool {
  private readonly chunks: Buffer[] = [];
  private fd = -1;
  /** Bytes appended so far. */
  length = 0;

  constructor(private readonly file: string, private readonly memoryLimit: number) {}

  append(b: Buffer): void {
    let o = 0;
    while (o < b.length && this.length < this.memoryLimit) {
      const i = Math.floor(this.length / CHUNK);
      const at = this.length % CHUNK;
      this.chunks[i] ??= Buffer.allocUnsafeSlow(Math.min(CHUNK, this.memoryLimit - i * CHUNK));
      const n = b.copy(this.chunks[i]!, at, o, Math.min(b.length, o + this.memoryLimit - this.length));
      o += n;
      this.length += n;
    }
    if (o === b.length) return;
    if (this.fd < 0) this.fd = fs.openSync(this.file, 'wx+', 0o600);
    while (o < b.length) {
      const n = fs.writeSync(this.fd, b, o, b.length - o, this.length - this.memoryLimit);
      o += n;
      this.length += n;
    }
  }

  /** Reads up to `n` bytes at `pos` into `buf` at `off`; returns how many (0 at the end). */
  read(buf: Buffer, off: number, n: number, pos: number): number {
    n = Math.min(n, this.length - pos);
    if (n <= 0) return 0;
    if (pos >= this.memoryLimit) return fs.readSync(this.fd, buf, off, n, pos - this.memoryLimit);
    const i = Math.floor(pos / CHUNK);
    const at = pos % CHUNK;
    const c = this.chunks[i]!;
    return c.copy(buf, off, at, Math.min(c.length, at + n));
  }

  /** The bytes at `pos` without a copy when they lie in one memory chunk; undefined otherwise. */
  view(pos: number, n: number): Buffer | undefined {
    if (n === 0) return Buffer.alloc(0);
    if (pos + n > this.memoryLimit || pos + n > this.length) return undefined;
    const i = Math.floor(pos / CHUNK);
    const at = pos % CHUNK;
    if (at + n > CHUNK) return undefined;
    return this.chunks[i]!.subarray(at, at + n);
  }

  close(): void {
    this.chunks.length = 0;
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
