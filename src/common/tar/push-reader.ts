/**
 * Synchronous push tar parser: feed it the bytes as they arrive, it calls back per entry and
 * per data slice, with no promise or async iterator per entry or chunk (TarReader's cost,
 * in allocations and GC, on a context of thousands of small files). Same format support as
 * TarReader: ustar, GNU long names/links (`L`/`K`), PAX extended headers (`x`; global `g`
 * skipped); the first zero block ends the archive (what follows is ignored).
 *
 *   const p = new TarPushReader({
 *     entry: (h) => { … },                 // every header, in order
 *     data: (chunk) => { … },              // a file's bytes, in order, subarrays of the input
 *     end: (h) => { … },                   // after an entry's last data slice
 *   });
 *   for await (const c of stream) p.push(c);
 *   p.finish({ lenient: true });           // throws on a truncated archive
 *
 * `lenient`: an archive cut after the last entry's data (no padding, no end blocks, as the
 * docker CLI sends a build context with `-f` outside of it) is accepted, as Go's reader does.
 */
import { InvalidArchiveError } from '../errors.ts';
import { BLOCK, applyPax, decodeBlock, isZeroBlock, parsePax, type TarHeader } from './header.ts';

const META_MAX = 1 << 20;

export interface TarPushHandlers {
  entry(h: TarHeader): void;
  data(chunk: Buffer): void;
  end(h: TarHeader): void;
}

type State = 'header' | 'data' | 'pad' | 'meta' | 'done';

export class TarPushReader {
  #state: State = 'header';
  readonly #block = Buffer.alloc(BLOCK);
  #have = 0;
  #left = 0;
  #pad = 0;
  #cur: TarHeader | undefined;
  #meta: Buffer[] = [];
  #metaKind = '';
  #pax: Map<string, Buffer> | undefined;
  #longName: string | undefined;
  #longLink: string | undefined;

  constructor(private readonly on: TarPushHandlers) {}

  push(c: Buffer): void {
    let o = 0;
    while (o < c.length && this.#state !== 'done') {
      switch (this.#state) {
        case 'header': {
          const n = Math.min(BLOCK - this.#have, c.length - o);
          if (this.#have === 0 && n === BLOCK) {
            this.#header(c.subarray(o, o + BLOCK));
          } else {
            c.copy(this.#block, this.#have, o, o + n);
            this.#have += n;
            if (this.#have === BLOCK) { this.#have = 0; this.#header(this.#block); }
          }
          o += n;
          break;
        }
        case 'data': {
          const n = Math.min(this.#left, c.length - o);
          this.on.data(c.subarray(o, o + n));
          this.#left -= n;
          o += n;
          if (this.#left === 0) this.#endData();
          break;
        }
        case 'meta': {
          const n = Math.min(this.#left, c.length - o);
          this.#meta.push(Buffer.from(c.subarray(o, o + n)));
          this.#left -= n;
          o += n;
          if (this.#left === 0) this.#endMeta();
          break;
        }
        case 'pad': {
          const n = Math.min(this.#pad, c.length - o);
          this.#pad -= n;
          o += n;
          if (this.#pad === 0) this.#state = 'header';
          break;
        }
      }
    }
  }

  /** The input ended: throws unless the archive is complete (or, `lenient`, cut at an entry boundary). */
  finish(o: { lenient?: boolean } = {}): void {
    if (this.#state === 'done') return;
    if (this.#state === 'header' && this.#have === 0) return;
    if (this.#state === 'pad' && o.lenient) return;
    throw new InvalidArchiveError('archive/tar: unexpected EOF');
  }

  #header(b: Buffer): void {
    if (isZeroBlock(b)) { this.#state = 'done'; return; }
    const h = decodeBlock(b);
    if (h.typeflag === 'x' || h.typeflag === 'g' || h.typeflag === 'L' || h.typeflag === 'K') {
      if (h.size > META_MAX) throw new InvalidArchiveError('archive/tar: extended header too large');
      this.#metaKind = h.typeflag;
      this.#meta = [];
      this.#left = h.size;
      this.#pad = (BLOCK - (h.size % BLOCK)) % BLOCK;
      if (h.size === 0) this.#endMeta();
      else this.#state = 'meta';
      return;
    }
    if (this.#longName !== undefined) h.name = this.#longName;
    if (this.#longLink !== undefined) h.linkname = this.#longLink;
    if (this.#pax) applyPax(h, this.#pax);
    this.#pax = this.#longName = this.#longLink = undefined;
    // Only regular files (and unknown types) carry data; hard links and others never do.
    const size = h.type === 'file' || h.type === 'other' ? h.size : 0;
    if (h.type !== 'file') h.size = size;
    this.#cur = h;
    this.on.entry(h);
    this.#left = size;
    this.#pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.#endData();
    else this.#state = 'data';
  }

  #endData(): void {
    this.on.end(this.#cur!);
    this.#cur = undefined;
    this.#state = this.#pad ? 'pad' : 'header';
  }

  #endMeta(): void {
    const body = Buffer.concat(this.#meta);
    this.#meta = [];
    if (this.#metaKind === 'x') this.#pax = parsePax(body);
    else if (this.#metaKind === 'L') this.#longName = body.toString('utf8').replace(/\0+$/, '');
    else if (this.#metaKind === 'K') this.#longLink = body.toString('utf8').replace(/\0+$/, '');
    this.#state = this.#pad ? 'pad' : 'header';
  }
}
