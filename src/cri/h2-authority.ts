/**
 * Go gRPC clients of the cri-tools era (crictl, critest; kubelet before 1.26) dial a unix
 * socket with the socket's path as the HTTP/2 `:authority` (`/run/wharf/cri.sock`). Node's
 * HTTP/2 server (nghttp2) refuses such a request with RST_STREAM PROTOCOL_ERROR, and offers
 * no switch to relax it. containerd and CRI-O (Go's lenient server) accept it.
 *
 * So the CRI listener sits in front of grpc-js (through its connection injector) and rewrites
 * the client's header blocks: every HEADERS (+ CONTINUATION) block is decoded with the
 * connection's HPACK state (RFC 7541) and re-encoded as plain literals without indexing, with
 * `:authority` set to `localhost` (what grpc-go and kubelet send today). The server's HPACK
 * table then stays empty; everything else passes through byte for byte.
 */
import { Duplex } from 'node:stream';
import type net from 'node:net';

// RFC 7541 Appendix A: the static table.
const STATIC: [string, string][] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'],
  [':status', '200'], [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'],
  ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''], ['content-disposition', ''],
  ['content-encoding', ''], ['content-language', ''], ['content-length', ''], ['content-location', ''], ['content-range', ''], ['content-type', ''],
  ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''],
  ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''],
  ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

// RFC 7541 Appendix B: the Huffman code is canonical, so the code lengths of the 257 symbols
// (one letter each, 'a' = 5 bits) determine every code.
const LENGTHS = 'isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfibccccccccccccccccccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqrssqqrqsrssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz';

/** (length << 32 | code) → symbol. */
const HUFFMAN: Map<number, number> = (() => {
  const lens = [...LENGTHS].map((c) => c.charCodeAt(0) - 97 + 5);
  const order = lens.map((_, s) => s).sort((a, b) => lens[a]! - lens[b]! || a - b);
  const map = new Map<number, number>();
  let code = 0;
  let prev = lens[order[0]!]!;
  order.forEach((s, i) => {
    if (i > 0) code = (code + 1) * 2 ** (lens[s]! - prev);
    prev = lens[s]!;
    map.set(lens[s]! * 2 ** 32 + code, s);
  });
  return map;
})();

export function huffmanDecode(b: Buffer): string {
  const out: number[] = [];
  let code = 0;
  let len = 0;
  for (const byte of b) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const sym = HUFFMAN.get(len * 2 ** 32 + code);
      if (sym !== undefined) {
        if (sym === 256) throw new Error('hpack: EOS in a Huffman string');
        out.push(sym);
        code = 0;
        len = 0;
      } else if (len > 30) throw new Error('hpack: bad Huffman code');
    }
  }
  // What is left must be padding (fewer than 8 one-bits).
  if (len > 7 || code !== 2 ** len - 1) throw new Error('hpack: bad Huffman padding');
  return Buffer.from(out).toString('latin1');
}

export class HpackDecoder {
  private table: [string, string][] = [];
  private size = 0;
  private max = 4096;

  private entry(i: number): [string, string] {
    if (i >= 1 && i <= STATIC.length) return STATIC[i - 1]!;
    const e = this.table[i - STATIC.length - 1];
    if (!e) throw new Error(`hpack: index ${i} out of range`);
    return e;
  }

  private add(name: string, value: string): void {
    const sz = name.length + value.length + 32;
    this.table.unshift([name, value]);
    this.size += sz;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.max && this.table.length) {
      const [n, v] = this.table.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }

  decode(block: Buffer): [string, string][] {
    let p = 0;
    const int = (prefix: number): number => {
      const mask = 2 ** prefix - 1;
      let v = block[p++]! & mask;
      if (v < mask) return v;
      let m = 0;
      for (;;) {
        const b = block[p++];
        if (b === undefined) throw new Error('hpack: truncated integer');
        v += (b & 0x7f) * 2 ** m;
        m += 7;
        if (!(b & 0x80)) return v;
      }
    };
    const str = (): string => {
      const huff = (block[p]! & 0x80) !== 0;
      const n = int(7);
      if (p + n > block.length) throw new Error('hpack: truncated string');
      const raw = block.subarray(p, p + n);
      p += n;
      return huff ? huffmanDecode(raw) : raw.toString('latin1');
    };
    const out: [string, string][] = [];
    while (p < block.length) {
      const b = block[p]!;
      if (b & 0x80) {
        out.push([...this.entry(int(7))]);
      } else if (b & 0x40) {
        const idx = int(6);
        const name = idx ? this.entry(idx)[0] : str();
        const value = str();
        this.add(name, value);
        out.push([name, value]);
      } else if (b & 0x20) {
        this.max = int(5);
        this.evict();
      } else {
        const idx = int(4);
        const name = idx ? this.entry(idx)[0] : str();
        out.push([name, str()]);
      }
    }
    return out;
  }
}

function hpackInt(v: number, prefix: number, first: number): number[] {
  const mask = 2 ** prefix - 1;
  if (v < mask) return [first | v];
  const out = [first | mask];
  v -= mask;
  while (v >= 128) { out.push((v % 128) + 128); v = Math.floor(v / 128); }
  out.push(v);
  return out;
}

/** Literals without indexing, no Huffman: the receiver's table is never touched. */
function encodePlain(headers: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [n, v] of headers) {
    const name = Buffer.from(n, 'latin1');
    const value = Buffer.from(v, 'latin1');
    parts.push(Buffer.from([0x00, ...hpackInt(name.length, 7, 0)]), name, Buffer.from(hpackInt(value.length, 7, 0)), value);
  }
  return Buffer.concat(parts);
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** The client-to-server byte stream, rewritten as described above. */
export class AuthorityRewriter {
  private buf: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private readonly hpack = new HpackDecoder();
  private pending: { stream: number; flags: number; fragments: Buffer[] } | undefined;

  constructor(private readonly authority = 'localhost') {}

  /** Bytes in, bytes to hand to the server out (frames split across chunks are held). */
  push(chunk: Buffer): Buffer {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    if (!this.prefaceSeen) {
      if (this.buf.length < PREFACE.length) return Buffer.alloc(0);
      out.push(this.buf.subarray(0, PREFACE.length));
      this.buf = this.buf.subarray(PREFACE.length);
      this.prefaceSeen = true;
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const type = this.buf[3]!;
      const flags = this.buf[4]!;
      const stream = this.buf.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buf.subarray(9, 9 + len);
      const whole = this.buf.subarray(0, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      if (type === HEADERS) {
        let p = 0;
        let end = payload.length;
        if (flags & PADDED) { end -= payload[0]!; p = 1; }
        if (flags & PRIORITY) p += 5;
        this.pending = { stream, flags, fragments: [payload.subarray(p, end)] };
      } else if (type === CONTINUATION && this.pending) {
        this.pending.fragments.push(payload);
      } else {
        out.push(whole);
        continue;
      }
      if (!((type === HEADERS ? flags : flags) & END_HEADERS)) continue;
      const { stream: id, flags: first, fragments } = this.pending!;
      this.pending = undefined;
      const headers = this.hpack.decode(Buffer.concat(fragments)).map(([n, v]): [string, string] => (n === ':authority' ? [n, this.authority] : [n, v]));
      const block = encodePlain(headers);
      const max = 16384;
      for (let off = 0; off < block.length || off === 0; off += max) {
        const last = off + max >= block.length;
        const piece = block.subarray(off, off + max);
        if (off === 0) out.push(frame(HEADERS, (first & END_STREAM) | (last ? END_HEADERS : 0), id, piece));
        else out.push(frame(CONTINUATION, last ? END_HEADERS : 0, id, piece));
        if (last) break;
      }
    }
    return Buffer.concat(out);
  }
}

/** A duplex over `socket` whose readable side is the rewritten client stream (for grpc-js's connection injector). */
export function rewritingDuplex(socket: net.Socket): Duplex {
  const rw = new AuthorityRewriter();
  const d = new Duplex({
    read() { socket.resume(); },
    write(chunk: Buffer, _enc, cb) { socket.write(chunk, cb); },
    final(cb) { socket.end(); cb(); },
    destroy(err, cb) { socket.destroy(err ?? undefined); cb(err); },
  });
  socket.on('data', (c: Buffer) => {
    let bytes: Buffer;
    try {
      bytes = rw.push(c);
    } catch (err) {
      socket.destroy(err as Error);
      return;
    }
    if (bytes.length && !d.push(bytes)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (err) => d.destroy(err));
  socket.on('close', () => d.destroy());
  return d;
}
