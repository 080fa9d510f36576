/**
 * Tar writer: header blocks (ustar, with a PAX extended header in front when a name, link
 * target, size, id or fractional mtime does not fit, or when there are xattrs) and a
 * streaming generator that turns entries into tar bytes with back-pressure (wrap it in
 * `Readable.from`). Bodies stream through; nothing is buffered whole.
 *
 *   const tar = Readable.from(tarStream(entries()));   // entries(): AsyncIterable<TarWriteEntry>
 */
import { BLOCK, encodeBlock, makeHeader, paxRecord, type TarEntryType, type TarHeader } from './header.ts';

export interface TarWriteEntry {
  header: Partial<TarHeader> & { name: string; type: TarEntryType };
  /** Exactly `header.size` bytes (regular files only). */
  body?: Buffer | string | AsyncIterable<Buffer> | Iterable<Buffer>;
}

/** 1024 zero bytes: the end-of-archive marker. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** Zero padding after a body of `size` bytes. */
export function padding(size: number): Buffer {
  const r = size % BLOCK;
  return Buffer.alloc(r === 0 ? 0 : BLOCK - r);
}

const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

function fits(s: string, len: number): boolean {
  return Buffer.byteLength(s) <= len;
}

/** The header block(s) for an entry: optional PAX header + body, then the ustar block. */
export function encodeHeader(input: TarWriteEntry['header']): Buffer {
  const h = makeHeader(input);
  if (h.type === 'dir' && !h.name.endsWith('/')) h.name += '/';
  const records: Buffer[] = [];
  if (!fits(h.name, 100)) records.push(paxRecord('path', h.name));
  if (!fits(h.linkname, 100)) records.push(paxRecord('linkpath', h.linkname));
  if (h.size > MAX_OCTAL_12) records.push(paxRecord('size', String(h.size)));
  if (h.uid > MAX_OCTAL_8) records.push(paxRecord('uid', String(h.uid)));
  if (h.gid > MAX_OCTAL_8) records.push(paxRecord('gid', String(h.gid)));
  if (!fits(h.uname, 32)) records.push(paxRecord('uname', h.uname));
  if (!fits(h.gname, 32)) records.push(paxRecord('gname', h.gname));
  if (!Number.isInteger(h.mtime)) records.push(paxRecord('mtime', h.mtime.toFixed(9).replace(/0+$/, '')));
  for (const [k, v] of [...h.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  }
  const main = encodeBlock({ ...h, name: truncate(h.name, 100), linkname: truncate(h.linkname, 100) });
  if (records.length === 0) return main;
  const pax = Buffer.concat(records);
  const base = h.name.replace(/\/+$/, '').split('/').pop() ?? '';
  const paxHeader = encodeBlock(makeHeader({
    name: truncate(`PaxHeaders.0/${base}`, 100), type: 'other', typeflag: 'x', size: pax.length, mode: 0o644, mtime: Math.floor(h.mtime),
  }));
  return Buffer.concat([paxHeader, pax, padding(pax.length), main]);
}

function truncate(s: string, len: number): string {
  const b = Buffer.from(s);
  if (b.length <= len) return s;
  let end = len;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--; // do not split a UTF-8 sequence
  return b.toString('utf8', 0, end);
}

/** Streams entries as tar bytes, the end marker included. Bodies must match `size`. */
export async function* tarStream(entries: AsyncIterable<TarWriteEntry> | Iterable<TarWriteEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    const size = e.header.type === 'file' ? e.header.size ?? 0 : 0;
    yield encodeHeader({ ...e.header, size });
    if (size === 0) continue;
    let written = 0;
    const body = e.body;
    if (body === undefined) throw new Error(`archive/tar: missing body for ${e.header.name}`);
    const chunks = typeof body === 'string' || Buffer.isBuffer(body) ? [Buffer.from(body)] : body;
    for await (const c of chunks) {
      written += c.length;
      if (written > size) throw new Error(`archive/tar: write too long (${e.header.name})`);
      yield c;
    }
    if (written !== size) throw new Error(`archive/tar: missed writing ${size - written} bytes (${e.header.name})`);
    yield padding(size);
  }
  yield TAR_END;
}

/** A whole (small) tar in memory; for tests and tiny archives only. */
export function createTar(entries: { header: TarWriteEntry['header']; body?: Buffer | string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const size = e.header.type === 'file' ? e.header.size ?? body.length : 0;
    parts.push(encodeHeader({ ...e.header, size }));
    if (size > 0) parts.push(body, padding(size));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
