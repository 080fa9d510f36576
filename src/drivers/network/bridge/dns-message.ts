/**
 * Just enough of the DNS wire format (RFC 1035) for the embedded resolver: read the question of
 * a query, build an A / AAAA answer (or an empty NOERROR / SERVFAIL) that echoes it. Anything we cannot
 * read is forwarded untouched to the host's resolvers.
 */
import { ip6ToBig } from './ipam6.ts';

export const TYPE_A = 1;
export const TYPE_AAAA = 28;

export interface Question {
  id: number;
  flags: number;
  /** Lower-cased, without the trailing dot. */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question (question bytes are 12..end). */
  end: number;
}

/** The first question of a query, or undefined if it is not a plain standard query. */
export function parseQuery(msg: Buffer): Question | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response
  if (((flags >> 11) & 0xf) !== 0) return undefined; // not QUERY
  if (msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    if (len === 0) { off++; break; }
    if (len > 63 || off + 1 + len > msg.length) return undefined; // compression or garbage
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0),
    flags,
    name: labels.join('.').toLowerCase(),
    qtype: msg.readUInt16BE(off),
    qclass: msg.readUInt16BE(off + 2),
    end: off + 4,
  };
}

/** A response to `query` with the given IPv4 answers (none = NOERROR/NODATA), rcode 0 or 2/3. */
export function buildResponse(query: Buffer, q: Question, ips: string[], rcode = 0, ttl = 600): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 0x0080 | (rcode & 0xf), 2); // QR, opcode+RD, RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ips.length, 6);
  const answers = ips.map((ip) => {
    const v6 = ip.includes(':');
    const rr = Buffer.alloc(v6 ? 28 : 16);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(v6 ? TYPE_AAAA : TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(v6 ? 16 : 4, 10);
    if (v6) {
      const v = ip6ToBig(ip);
      for (let i = 0; i < 16; i++) rr.writeUInt8(Number((v >> BigInt(8 * (15 - i))) & 0xffn), 12 + i);
    } else {
      ip.split('.').forEach((p, i) => rr.writeUInt8(Number(p), 12 + i));
    }
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, q.end), ...answers]);
}

/** Builds a query (used by tests and by health checks). */
export function buildQuery(id: number, name: string, qtype = TYPE_A): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([header, ...parts, tail]);
}

/** A records of a response (answers whose name is a pointer or plain; only A is decoded). */
export function answerIps(msg: Buffer): string[] {
  const q = parseQuery(Buffer.concat([msg.subarray(0, 2), Buffer.from([0, 0]), msg.subarray(4)]));
  if (!q) return [];
  const count = msg.readUInt16BE(6);
  const ips: string[] = [];
  let off = q.end;
  for (let i = 0; i < count && off < msg.length; i++) {
    off = (msg[off]! & 0xc0) === 0xc0 ? off + 2 : skipName(msg, off);
    const type = msg.readUInt16BE(off);
    const rdlen = msg.readUInt16BE(off + 8);
    if (type === TYPE_A && rdlen === 4) ips.push([...msg.subarray(off + 10, off + 14)].join('.'));
    off += 10 + rdlen;
  }
  return ips;
}

function skipName(msg: Buffer, off: number): number {
  while (off < msg.length) {
    const len = msg[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += 1 + len;
  }
  return off;
}
