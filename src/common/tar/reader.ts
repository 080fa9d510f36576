/**
 * Streaming tar reader: ustar, GNU long names/links (`L`/`K`), PAX extended headers (`x`;
 * global `g` headers are skipped). Gzip input is detected by its magic (1f 8b) and inflated
 * transparently. Optionally hashes the uncompressed bytes (sha256, the layer DiffID) while
 * reading, including anything after the end-of-archive blocks.
 *
 *   const r = new TarReader(stream, { digest: true });
 *   for await (const { header, body } of r) { for await (const chunk of body) … }
 *   r.digest()  // 'sha256:…' once iteration has finished
 *
 * Each entry's body must be consumed before asking for the next entry, or it is skipped.
 * Chunks are subarrays of the input; nothing is buffered beyond one input chunk, except
 * PAX/long-name bodies (capped at 1 MiB).
 */
import { createHash, type Hash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArchiveError } from '../errors.ts';
import { BLOCK, applyPax, decodeBlock, isZeroBlock, parsePax, type TarHeader } from './header.ts';
import type { SplitSink } from './split.ts';

export interface TarEntry {
  header: TarHeader;
  body: AsyncIterable<Buffer>;
}

const META_MAX = 1 << 20;

export class TarReader implements AsyncIterable<TarEntry> {
  #src: AsyncIterator<Buffer> | undefined;
  readonly #input: AsyncIterable<Buffer | Uint8Array>;
  #buf: Buffer = Buffer.alloc(0);
  #eof = false;
  #hash: Hash | undefined;
  #digest: string | undefined;
  #bytes = 0;
  #pending = 0; // unread body + padding bytes of the current entry
  readonly #split: SplitSink | undefined;

  /** `split` receives the uncompressed bytes as they are consumed (see split.ts). */
  constructor(input: AsyncIterable<Buffer | Uint8Array>, opts: { digest?: boolean; split?: SplitSink } = {}) {
    this.#input = input;
    if (opts.digest) this.#hash = createHash('sha256');
    this.#split = opts.split;
  }

  /** sha256 of the uncompressed tar stream; available once iteration completed. */
  digest(): string {
    if (this.#digest === undefined) throw new Error('tar digest requested before the end of the stream');
    return this.#digest;
  }

  /** Uncompressed bytes read so far. */
  get bytesRead(): number {
    return this.#bytes;
  }

  async #open(): Promise<AsyncIterator<Buffer>> {
    const it = this.#input[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let len = 0;
    while (len < 2) {
      const r = await it.next();
      if (r.done) break;
      const c = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      head.push(c);
      len += c.length;
    }
    const first = Buffer.concat(head);
    if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
      const gunzip = createGunzip();
      async function* raw(): AsyncGenerator<Buffer> {
        try {
          yield first;
          for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value);
        } finally {
          await it.return?.();
        }
      }
      pipeline(raw(), gunzip, () => {});
      return gunzip[Symbol.asyncIterator]();
    }
    this.#buf = first;
    this.#account(first);
    const rest = async function* (): AsyncGenerator<Buffer> {
      for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    };
    return Object.assign(rest(), { return: async () => { await it.return?.(); return { done: true as const, value: undefined }; } });
  }

  #account(c: Buffer): void {
    this.#bytes += c.length;
    this.#hash?.update(c);
  }

  /** Appends the next input chunk to the buffer; false at end of input. */
  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    let r: IteratorResult<Buffer>;
    try {
      r = await this.#src!.next();
    } catch (err) {
      // Corrupt gzip framing is the sender's archive being broken, like a bad tar header.
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('Z_')) throw new InvalidArchiveError(`archive/tar: gzip: ${(err as Error).message}`, { cause: err });
      throw err;
    }
    if (r.done) {
      this.#eof = true;
      return false;
    }
    const c: Buffer = r.value;
    this.#account(c);
    this.#buf = this.#buf.length === 0 ? c : Buffer.concat([this.#buf, c]);
    return true;
  }

  /** Exactly n bytes (n small), or fewer at end of input. */
  async #read(n: number): Promise<Buffer> {
    while (this.#buf.length < n) if (!(await this.#more())) break;
    const out = this.#buf.subarray(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    this.#split?.raw(out);
    return out;
  }

  /** Streams n bytes without copying; throws on truncated input. */
  async *#take(n: number, content = false): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (this.#buf.length === 0 && !(await this.#more())) throw new InvalidArchiveError('archive/tar: unexpected EOF');
      const c = this.#buf.subarray(0, Math.min(n, this.#buf.length));
      this.#buf = this.#buf.subarray(c.length);
      n -= c.length;
      this.#pending -= c.length;
      if (!content) this.#split?.raw(c);
      yield c;
    }
  }

  async #skipPending(): Promise<void> {
    for await (const _ of this.#take(this.#pending)) { /* discard */ }
  }

  async #readMeta(size: number): Promise<Buffer> {
    if (size > META_MAX) throw new InvalidArchiveError('archive/tar: extended header too large');
    const b = await this.#read(size);
    if (b.length < size) throw new InvalidArchiveError('archive/tar: unexpected EOF');
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if ((await this.#read(pad)).length < pad) throw new InvalidArchiveError('archive/tar: unexpected EOF');
    return Buffer.from(b);
  }

  async #finish(): Promise<void> {
    this.#split?.raw(this.#buf);
    this.#buf = Buffer.alloc(0);
    while (await this.#more()) {
      this.#split?.raw(this.#buf);
      this.#buf = Buffer.alloc(0);
    }
    if (this.#hash) this.#digest = `sha256:${this.#hash.digest('hex')}`;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TarEntry> {
    this.#src = await this.#open();
    try {
      yield* this.#entries();
    } finally {
      if (!this.#eof) await this.#src.return?.();
    }
  }

  async *#entries(): AsyncGenerator<TarEntry> {
    let pax: Map<string, Buffer> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      if (this.#pending > 0) await this.#skipPending();
      const block = await this.#read(BLOCK);
      if (block.length === 0) break; // clean EOF at a header boundary
      if (block.length < BLOCK) throw new InvalidArchiveError('archive/tar: unexpected EOF');
      if (isZeroBlock(block)) break;
      const h = decodeBlock(block);
      if (h.typeflag === 'x' || h.typeflag === 'g') {
        const records = parsePax(await this.#readMeta(h.size));
        if (h.typeflag === 'x') pax = records;
        continue;
      }
      if (h.typeflag === 'L' || h.typeflag === 'K') {
        const v = (await this.#readMeta(h.size)).toString('utf8').replace(/\0+$/, '');
        if (h.typeflag === 'L') longName = v;
        else longLink = v;
        continue;
      }
      if (longName !== undefined) h.name = longName;
      if (longLink !== undefined) h.linkname = longLink;
      if (pax) applyPax(h, pax);
      pax = longName = longLink = undefined;
      // Only regular files (and unknown types) carry data; hard links and others never do.
      const dataSize = h.type === 'file' || h.type === 'other' ? h.size : 0;
      if (h.type !== 'file') h.size = dataSize;
      this.#pending = dataSize + ((BLOCK - (dataSize % BLOCK)) % BLOCK);
      const body = this.#body(dataSize, h.type === 'file' ? h.name : undefined);
      yield { header: h, body };
    }
    await this.#finish();
  }

  async *#body(size: number, name?: string): AsyncGenerator<Buffer> {
    if (name !== undefined) this.#split?.file(name, size);
    yield* this.#take(size, name !== undefined);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    for await (const _ of this.#take(pad)) { /* padding */ }
  }
}
