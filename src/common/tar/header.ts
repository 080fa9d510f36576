/**
 * Tar header model and the 512-byte block codec (ustar + GNU base-256 numbers) shared by the
 * streaming reader and the writer, plus the PAX extended-header record codec. PAX values are
 * kept as raw bytes so binary `SCHILY.xattr.*` values (security.capability) survive intact.
 */
import { InvalidArchiveError } from '../errors.ts';

export type TarEntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';

export interface TarHeader {
  /** Path as stored (PAX `path` / GNU `L` / ustar prefix+name applied). */
  name: string;
  type: TarEntryType;
  /** The raw typeflag character ('0', '5', 'S' …). */
  typeflag: string;
  size: number;
  /** Permission bits incl. setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch; fractional when a PAX `mtime` carried them. */
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.<name>` values, bytes as stored. */
  xattrs: Map<string, Buffer>;
}

export const BLOCK = 512;

const typeByFlag: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink',
  '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};
const flagByType: Record<TarEntryType, string> = {
  file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', other: '0',
};

export function typeOfFlag(flag: string): TarEntryType {
  return typeByFlag[flag] ?? 'other';
}

export function flagOfType(type: TarEntryType): string {
  return flagByType[type];
}

/** A header with defaults for everything but name and type. */
export function makeHeader(h: Partial<TarHeader> & { name: string; type: TarEntryType }): TarHeader {
  return {
    typeflag: flagOfType(h.type), size: 0, mode: h.type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0,
    mtime: 0, linkname: '', uname: '', gname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...h,
  };
}

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function num(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit of the first byte as flag.
    let v = b[off] & 0x7f;
    const neg = (b[off] & 0x40) !== 0;
    if (neg) v = b[off] | ~0xff;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i];
    return v;
  }
  const s = cstr(b, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i];
  return sum;
}

/** Decodes one header block; throws on a bad checksum. */
export function decodeBlock(b: Buffer): TarHeader {
  const stored = num(b, 148, 8);
  if (stored !== checksum(b)) throw new InvalidArchiveError('archive/tar: invalid tar header (checksum mismatch)');
  const magic = b.toString('latin1', 257, 263);
  let name = cstr(b, 0, 100);
  // ustar (not GNU, whose 345.. area holds atime/ctime) splits long names into prefix/name.
  if (magic === 'ustar\0') {
    const prefix = cstr(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const typeflag = String.fromCharCode(b[156]);
  return {
    name, typeflag, type: typeOfFlag(typeflag),
    mode: num(b, 100, 8) & 0o7777, uid: num(b, 108, 8), gid: num(b, 116, 8), size: num(b, 124, 12),
    mtime: num(b, 136, 12), linkname: cstr(b, 157, 100), uname: cstr(b, 265, 32), gname: cstr(b, 297, 32),
    devmajor: num(b, 329, 8), devminor: num(b, 337, 8), xattrs: new Map(),
  };
}

/** Parses PAX records `LEN key=value\n` into raw values (binary-safe). */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0) break;
    const sp = buf.indexOf(0x20, pos);
    if (sp < 0) throw new InvalidArchiveError('archive/tar: invalid PAX record');
    const len = parseInt(buf.toString('latin1', pos, sp), 10);
    if (!Number.isFinite(len) || len <= sp - pos || pos + len > buf.length || buf[pos + len - 1] !== 0x0a) {
      throw new InvalidArchiveError('archive/tar: invalid PAX record');
    }
    const eq = buf.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= pos + len) throw new InvalidArchiveError('archive/tar: invalid PAX record');
    out.set(buf.toString('utf8', sp + 1, eq), buf.subarray(eq + 1, pos + len - 1));
    pos += len;
  }
  return out;
}

/** Applies PAX overrides to a decoded header. */
export function applyPax(h: TarHeader, pax: Map<string, Buffer>): void {
  for (const [key, raw] of pax) {
    if (key.startsWith('SCHILY.xattr.')) {
      h.xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(raw));
      continue;
    }
    const v = raw.toString('utf8');
    switch (key) {
      case 'path': h.name = v; break;
      case 'linkpath': h.linkname = v; break;
      case 'size': h.size = parseDecimal(v, key); break;
      case 'uid': h.uid = parseDecimal(v, key); break;
      case 'gid': h.gid = parseDecimal(v, key); break;
      case 'uname': h.uname = v; break;
      case 'gname': h.gname = v; break;
      case 'mtime': {
        const t = Number(v);
        if (!Number.isFinite(t)) throw new InvalidArchiveError(`archive/tar: invalid PAX mtime ${JSON.stringify(v)}`);
        h.mtime = t;
        break;
      }
      default: break;
    }
  }
}

function parseDecimal(v: string, key: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArchiveError(`archive/tar: invalid PAX ${key} ${JSON.stringify(v)}`);
  return Number(v);
}

/** One PAX record, its length prefix included. */
export function paxRecord(key: string, value: Buffer | string): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function putStr(b: Buffer, off: number, len: number, s: string): void {
  b.write(s, off, len, 'utf8');
}

function putNum(b: Buffer, off: number, len: number, v: number): void {
  if (v >= 0 && v < 8 ** (len - 1)) {
    b.write(Math.floor(v).toString(8).padStart(len - 1, '0'), off, len - 1, 'latin1');
    b[off + len - 1] = 0;
    return;
  }
  // GNU base-256 for values that do not fit in octal.
  let x = BigInt(Math.floor(v));
  for (let i = len - 1; i > 0; i--) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[off] = 0x80;
}

/** Encodes one ustar header block; the caller ensures fields fit (else uses PAX). */
export function encodeBlock(h: TarHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  putStr(b, 0, 100, h.name);
  putNum(b, 100, 8, h.mode & 0o7777);
  putNum(b, 108, 8, h.uid);
  putNum(b, 116, 8, h.gid);
  putNum(b, 124, 12, h.size);
  putNum(b, 136, 12, Math.floor(h.mtime));
  b.write(h.typeflag || flagOfType(h.type), 156, 1, 'latin1');
  putStr(b, 157, 100, h.linkname);
  b.write('ustar\x0000', 257, 8, 'latin1');
  putStr(b, 265, 32, h.uname);
  putStr(b, 297, 32, h.gname);
  putNum(b, 329, 8, h.devmajor);
  putNum(b, 337, 8, h.devminor);
  b.write(checksum(b).toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}
