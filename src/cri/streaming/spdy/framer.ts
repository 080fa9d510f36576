/**
 * SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 with 3.1's session flow control frames),
 * the subset kubelet's streaming protocols use: SYN_STREAM, SYN_REPLY, RST_STREAM, DATA,
 * PING, GOAWAY; SETTINGS, HEADERS and WINDOW_UPDATE are parsed and ignored (Go's spdystream,
 * the peer kubelet and crictl use, does no flow control).
 *
 * Header blocks are zlib streams primed with SPDY's dictionary, one stream per direction for
 * the whole connection. Outgoing blocks are written as deflate *stored* blocks (valid zlib,
 * no compression: our headers are a few bytes), which keeps encoding synchronous; incoming
 * blocks go through one zlib inflate stream, in order.
 */
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';

export const VERSION = 3;

export const enum FrameType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RST = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, UNSUPPORTED_VERSION: 4, CANCEL: 5, INTERNAL_ERROR: 6, FLOW_CONTROL_ERROR: 7, STREAM_IN_USE: 8, STREAM_ALREADY_CLOSED: 9 } as const;

/** Largest DATA payload this side sends in one frame (the format allows 2^24-1). */
export const MAX_DATA_CHUNK = 64 * 1024;
/** Largest uncompressed header block accepted from the peer. */
export const MAX_HEADER_BLOCK = 256 * 1024;
/** Largest frame accepted from the peer: a bigger one ends the session. */
export const MAX_FRAME = 16 * 1024 * 1024;

/** Header names (lowercase) to values; SPDY joins repeated values with NUL. */
export type HeaderList = [string, string][];

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; type: number; flags: number; payload: Buffer };

/** Splits the bytes of a connection into frames. */
export class FrameParser {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Bytes the frame being received needs in all (header included), once its header is in. */
  private want = 8;

  /** Adds bytes; returns the complete frames they finish. Throws on a frame over MAX_FRAME. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const out: Frame[] = [];
    // A large frame arrives in many chunks: they are joined once, when it is complete.
    while (this.length >= this.want) {
      let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
      this.chunks = [buf];
      const len = buf.readUIntBE(5, 3);
      if (len > MAX_FRAME) throw new Error(`SPDY frame of ${len} bytes is too large`);
      if (buf.length < 8 + len) { this.want = 8 + len; break; }
      const flags = buf[4]!;
      const body = buf.subarray(8, 8 + len);
      if (buf[0]! & 0x80) {
        const version = buf.readUInt16BE(0) & 0x7fff;
        if (version !== VERSION) throw new Error(`unsupported SPDY version ${version}`);
        out.push({ kind: 'control', type: buf.readUInt16BE(2), flags, payload: body });
      } else {
        out.push({ kind: 'data', streamId: buf.readUInt32BE(0) & 0x7fffffff, flags, data: body });
      }
      buf = buf.subarray(8 + len);
      this.chunks = buf.length ? [buf] : [];
      this.length = buf.length;
      this.want = 8;
    }
    return out;
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(8 + payload.length);
  f.writeUInt16BE(0x8000 | VERSION, 0);
  f.writeUInt16BE(type, 2);
  f[4] = flags;
  f.writeUIntBE(payload.length, 5, 3);
  payload.copy(f, 8);
  return f;
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const f = Buffer.allocUnsafe(8 + data.length);
  f.writeUInt32BE(streamId & 0x7fffffff, 0);
  f[4] = flags;
  f.writeUIntBE(data.length, 5, 3);
  data.copy(f, 8);
  return f;
}

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    a = (a + b[i]!) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Serialises header pairs (count, then length-prefixed name and value). */
function headerBlock(headers: HeaderList): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.allocUnsafe(4);
  n.writeUInt32BE(headers.length);
  parts.push(n);
  for (const [name, value] of headers) {
    for (const s of [name.toLowerCase(), value]) {
      const b = Buffer.from(s, 'utf8');
      const l = Buffer.allocUnsafe(4);
      l.writeUInt32BE(b.length);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

const SYNC_MARK = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/** This side's header compressor: one zlib stream of stored blocks, primed with the dictionary. */
export class HeaderEncoder {
  private started = false;

  encode(headers: HeaderList): Buffer {
    const raw = headerBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32 KiB window), FLG 0xBB (FDICT, default level, check bits), DICTID.
      const head = Buffer.from([0x78, 0xbb, 0, 0, 0, 0]);
      head.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
      parts.push(head);
    }
    // A header block is never empty (it starts with its pair count).
    for (let off = 0; off < raw.length; off += 0xffff) {
      const piece = raw.subarray(off, off + 0xffff);
      const h = Buffer.allocUnsafe(5);
      h[0] = 0; // BFINAL 0, BTYPE 00 (stored), padded to the byte
      h.writeUInt16LE(piece.length, 1);
      h.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(h, piece);
    }
    // An empty stored block, as zlib's Z_SYNC_FLUSH ends a block: inflaters (Go's flate) hand
    // out a stored block's bytes only once they read the next block's header.
    parts.push(SYNC_MARK);
    return Buffer.concat(parts);
  }
}

/** The peer's header decompressor: one inflate stream for the connection, blocks in order. */
export class HeaderDecoder {
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private out: Buffer[] = [];
  private failed: Error | undefined;

  private outLen = 0;

  constructor() {
    this.inflate.on('data', (c: Buffer) => {
      this.outLen += c.length;
      // A header block that inflates past the limit ends the session (a zlib bomb).
      if (this.outLen > MAX_HEADER_BLOCK) { this.failed ??= new Error('SPDY header block too large'); this.out = []; return; }
      this.out.push(c);
    });
    this.inflate.on('error', (e: Error) => { this.failed = e; });
  }

  /** Decompresses one header block (the caller awaits each before the next). */
  async decode(block: Buffer): Promise<Map<string, string[]>> {
    if (this.failed) throw this.failed;
    await new Promise<void>((resolve, reject) => {
      this.inflate.write(block);
      this.inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => (this.failed ? reject(this.failed) : resolve()));
    });
    // Output of the flush may be delivered after its callback: let it land.
    await new Promise((r) => setImmediate(r));
    if (this.failed) throw this.failed;
    const raw = Buffer.concat(this.out);
    this.out = [];
    this.outLen = 0;
    return parseHeaderBlock(raw);
  }

  close(): void { this.inflate.close(); }
}

export function parseHeaderBlock(raw: Buffer): Map<string, string[]> {
  const h = new Map<string, string[]>();
  let off = 0;
  const need = (n: number) => { if (off + n > raw.length) throw new Error('truncated SPDY header block'); };
  need(4);
  const count = raw.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = raw.readUInt32BE(off); off += 4;
    need(nl);
    const name = raw.subarray(off, off + nl).toString('utf8').toLowerCase(); off += nl;
    need(4);
    const vl = raw.readUInt32BE(off); off += 4;
    need(vl);
    const value = raw.subarray(off, off + vl).toString('utf8'); off += vl;
    h.set(name, [...(h.get(name) ?? []), ...value.split('\0')]);
  }
  return h;
}

export function synStream(streamId: number, flags: number, block: Buffer): Buffer {
  const p = Buffer.alloc(10 + block.length);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  // associated stream 0, priority 0, slot 0
  block.copy(p, 10);
  return controlFrame(FrameType.SynStream, flags, p);
}

export function synReply(streamId: number, flags: number, block: Buffer): Buffer {
  const p = Buffer.alloc(4 + block.length);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  block.copy(p, 4);
  return controlFrame(FrameType.SynReply, flags, p);
}

export function rstStream(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(FrameType.RstStream, 0, p);
}

export function ping(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return controlFrame(FrameType.Ping, 0, p);
}

export function goAway(lastStreamId: number, status = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(FrameType.GoAway, 0, p);
}
