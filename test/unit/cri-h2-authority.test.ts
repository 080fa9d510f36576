/**
 * The CRI listener's header rewrite (src/cri/h2-authority.ts) with RFC 7541's own examples:
 * Huffman strings, the dynamic table across requests, and the re-encoded block a Node
 * HTTP/2 server accepts (`:authority: localhost`, plain literals).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorityRewriter, HpackDecoder, huffmanDecode } from '../../src/cri/h2-authority.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** Frames of an output stream: [type, flags, stream, payload]. */
function frames(b: Buffer): [number, number, number, Buffer][] {
  const out: [number, number, number, Buffer][] = [];
  for (let p = 0; p < b.length;) {
    const len = b.readUIntBE(p, 3);
    out.push([b[p + 3]!, b[p + 4]!, b.readUInt32BE(p + 5), b.subarray(p + 9, p + 9 + len)]);
    p += 9 + len;
  }
  return out;
}

test('Huffman strings decode (RFC 7541 C.4.1)', () => {
  assert.equal(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')), 'www.example.com');
  assert.equal(huffmanDecode(hex('a8eb 1064 9cbf')), 'no-cache');
  assert.throws(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f400')), /padding|code/);
});

test('requests with Huffman and the dynamic table (RFC 7541 C.4.1, C.4.2) come out with :authority localhost', () => {
  const rw = new AuthorityRewriter();
  const settings = frame(0x4, 0, 0, Buffer.alloc(0));
  const first = frame(0x1, 0x5, 1, hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'));
  const second = frame(0x1, 0x5, 3, hex('8286 84be 5886 a8eb 1064 9cbf'));
  const data = frame(0x0, 0x1, 3, Buffer.from('payload'));
  // Split anywhere: frames across chunks are held until whole.
  const input = Buffer.concat([PREFACE, settings, first, second, data]);
  const out = Buffer.concat([rw.push(input.subarray(0, 30)), rw.push(input.subarray(30, 61)), rw.push(input.subarray(61))]);
  assert.deepEqual(out.subarray(0, PREFACE.length), PREFACE);
  const fs = frames(out.subarray(PREFACE.length));
  assert.deepEqual(fs.map(([t, f, s]) => [t, f, s]), [[0x4, 0, 0], [0x1, 0x5, 1], [0x1, 0x5, 3], [0x0, 0x1, 3]]);
  const server = new HpackDecoder();
  assert.deepEqual(server.decode(fs[1]![3]), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'localhost']]);
  assert.deepEqual(server.decode(fs[2]![3]), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'localhost'], ['cache-control', 'no-cache']]);
  assert.equal(fs[3]![3].toString(), 'payload');
});

test('a header block split over CONTINUATION frames, with padding and priority, is joined', () => {
  const rw = new AuthorityRewriter();
  const block = Buffer.concat([hex('8286 84'), Buffer.from([0x41, 11]), Buffer.from('/run/x.sock')]);
  const padded = Buffer.concat([Buffer.from([2]), Buffer.from([0, 0, 0, 0, 16]), block.subarray(0, 4), Buffer.alloc(2)]);
  const out = rw.push(Buffer.concat([PREFACE, frame(0x1, 0x8 | 0x20, 5, padded), frame(0x9, 0x4, 5, block.subarray(4))]));
  const fs = frames(out.subarray(PREFACE.length));
  assert.equal(fs.length, 1);
  assert.equal(fs[0]![1], 0x4, 'END_HEADERS, no padding or priority');
  assert.deepEqual(new HpackDecoder().decode(fs[0]![3]).find(([n]) => n === ':authority'), [':authority', 'localhost']);
});
