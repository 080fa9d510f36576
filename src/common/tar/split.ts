/**
 * Tar-split: what it takes to give back a layer tar byte for byte once it has been extracted,
 * without keeping the tar (docker keeps the same kind of metadata, `tar-split.json.gz`).
 * Every byte of the tar that is not a regular file's content (headers, PAX records, padding,
 * end blocks, trailing bytes) is recorded verbatim; a file's content is recorded as a
 * reference to the extracted file (path relative to the layer root, size). Content the layer
 * itself removed again while it was applied (a duplicate entry, a path replaced or whited out
 * later in the same tar) is copied aside ("spilled") before the removal and kept inline.
 *
 * File layout (one file per DiffID):
 *   "WTS1"  u64 tarSize  u64 recordsLen  u32 spillIndexLen  spillIndex (JSON {recordNo: [off, len]})
 *   records: concatenated gzip members of  'R' u32 len bytes | 'F' u64 size u32 pathLen path
 *   spill data
 *
 *   const rec = new SplitRecorder(tmpFile);     // TarReader({ split: rec }); extractor calls rec.spill(rel, abs)
 *   await rec.finish();                          // writes the file
 *   for await (const c of splitTarStream(file, layerRoot)) …   // the original tar
 *   splitTarSize(file)                           // its length, without reading the records
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync, createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

const MAGIC = Buffer.from('WTS1');
const HEAD = 4 + 8 + 8 + 4;
const FLUSH = 1 << 20;

/** The root-relative path a layer entry is extracted to (as the extractor cleans it). */
export function splitPath(name: string): string {
  // Most names are clean already (`usr/bin/x`, `etc/`): path.posix only for the others.
  if (name !== '' && !name.startsWith('/') && !name.includes('//') && !/(^|\/)\.\.?(\/|$)/.test(name)) return name.endsWith('/') ? name.slice(0, -1) : name;
  return path.posix.relative('/', path.posix.normalize(`/${name}`));
}

/** Receives a tar's bytes as a reader consumes it (see TarReader's `split` option). */
export interface SplitSink {
  /** Bytes that are not file content, in order. */
  raw(b: Buffer): void;
  /** A regular file's content of `size` bytes follows (not passed to raw). */
  file(name: string, size: number): void;
}

export class SplitRecorder implements SplitSink {
  readonly #file: string;
  readonly #recordsTmp: string;
  readonly #spillTmp: string;
  #recordsFd: number;
  #spillFd = -1;
  #spillLen = 0;
  #recordsLen = 0;
  /** Serialized records not yet compressed; `#rawAt` is the offset of an open 'R' record's header. */
  #acc = Buffer.allocUnsafe(FLUSH + 64 * 1024);
  #accLen = 0;
  #rawAt = -1;
  #tarSize = 0;
  #records = 0;
  /** rel path → record number of the content now on disk there. */
  readonly #onDisk = new Map<string, number>();
  readonly #spills: Record<number, [number, number]> = {};

  /** `file` is where finish() writes the result; temp files sit beside it. */
  constructor(file: string) {
    this.#file = file;
    this.#recordsTmp = `${file}.records`;
    this.#spillTmp = `${file}.spill`;
    this.#recordsFd = fs.openSync(this.#recordsTmp, 'w', 0o600);
  }

  raw(b: Buffer): void {
    this.#tarSize += b.length;
    for (let off = 0; off < b.length; ) {
      if (this.#rawAt < 0) {
        if (this.#accLen + 5 >= this.#acc.length) this.#flushPending();
        this.#rawAt = this.#accLen;
        this.#acc[this.#accLen] = 0x52; // R
        this.#accLen += 5;
      }
      const n = Math.min(b.length - off, this.#acc.length - this.#accLen);
      b.copy(this.#acc, this.#accLen, off, off + n);
      this.#accLen += n;
      off += n;
      if (this.#accLen === this.#acc.length) this.#flushPending();
    }
  }

  file(name: string, size: number): void {
    this.#closeRaw();
    const rel = splitPath(name);
    const plen = Buffer.byteLength(rel);
    if (13 + plen > this.#acc.length) throw new Error('tar-split: path too long');
    if (this.#accLen + 13 + plen > this.#acc.length) this.#flushPending();
    const a = this.#acc;
    a[this.#accLen] = 0x46; // F
    a.writeBigUInt64BE(BigInt(size), this.#accLen + 1);
    a.writeUInt32BE(plen, this.#accLen + 9);
    a.write(rel, this.#accLen + 13);
    this.#accLen += 13 + plen;
    this.#onDisk.set(rel, this.#records);
    this.#records++;
    this.#tarSize += size;
  }

  /** `rel` (and everything under it) is about to be removed from `root`: keep its content. */
  spill(rel: string, root: string): void {
    if (this.#onDisk.size === 0) return;
    const prefix = rel === '' ? '' : `${rel}/`;
    for (const [p, no] of this.#onDisk) {
      if (p !== rel && !p.startsWith(prefix)) continue;
      this.#onDisk.delete(p);
      const abs = p === '' ? root : `${root}/${p}`;
      let data: Buffer;
      try {
        const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        try {
          data = fs.readFileSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        continue; // not a file we wrote any more: regeneration's digest check will say so
      }
      if (this.#spillFd < 0) this.#spillFd = fs.openSync(this.#spillTmp, 'w', 0o600);
      for (let off = 0; off < data.length; ) off += fs.writeSync(this.#spillFd, data, off, data.length - off);
      this.#spills[no] = [this.#spillLen, data.length];
      this.#spillLen += data.length;
    }
  }

  /** Ends an open 'R' record (its length goes into its header). */
  #closeRaw(): void {
    if (this.#rawAt < 0) return;
    this.#acc.writeUInt32BE(this.#accLen - this.#rawAt - 5, this.#rawAt + 1);
    this.#rawAt = -1;
    this.#records++;
  }

  #flushPending(): void {
    this.#closeRaw();
    if (this.#accLen === 0) return;
    const gz = gzipSync(this.#acc.subarray(0, this.#accLen), { level: 1 });
    for (let off = 0; off < gz.length; ) off += fs.writeSync(this.#recordsFd, gz, off, gz.length - off);
    this.#recordsLen += gz.length;
    this.#accLen = 0;
  }

  /** Writes the tar-split file (fsynced) and removes the temp files. Returns the tar's size. */
  finish(): number {
    this.#flushPending();
    fs.closeSync(this.#recordsFd);
    this.#recordsFd = -1;
    const index = Buffer.from(JSON.stringify(this.#spills));
    const head = Buffer.alloc(HEAD);
    MAGIC.copy(head, 0);
    head.writeBigUInt64BE(BigInt(this.#tarSize), 4);
    head.writeBigUInt64BE(BigInt(this.#recordsLen), 12);
    head.writeUInt32BE(index.length, 20);
    const out = fs.openSync(this.#file, 'w', 0o600);
    try {
      const write = (b: Buffer) => { for (let off = 0; off < b.length; ) off += fs.writeSync(out, b, off, b.length - off); };
      write(head);
      write(index);
      const copy = (from: string) => {
        const fd = fs.openSync(from, 'r');
        try {
          const buf = Buffer.allocUnsafe(1 << 20);
          for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) write(buf.subarray(0, n));
        } finally {
          fs.closeSync(fd);
        }
      };
      copy(this.#recordsTmp);
      if (this.#spillFd >= 0) {
        fs.closeSync(this.#spillFd);
        this.#spillFd = -1;
        copy(this.#spillTmp);
      }
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
      this.discardTemp();
    }
    return this.#tarSize;
  }

  /** Removes the temp files (finish does; call it when the apply failed). */
  discardTemp(): void {
    if (this.#recordsFd >= 0) { fs.closeSync(this.#recordsFd); this.#recordsFd = -1; }
    if (this.#spillFd >= 0) { fs.closeSync(this.#spillFd); this.#spillFd = -1; }
    fs.rmSync(this.#recordsTmp, { force: true });
    fs.rmSync(this.#spillTmp, { force: true });
  }
}

interface SplitHead { tarSize: number; recordsLen: number; indexLen: number; spills: Record<string, [number, number]> }

function readHead(fd: number): SplitHead {
  const head = Buffer.alloc(HEAD);
  if (fs.readSync(fd, head, 0, HEAD, 0) !== HEAD || !head.subarray(0, 4).equals(MAGIC)) throw new Error('tar-split: bad header');
  const indexLen = head.readUInt32BE(20);
  const index = Buffer.alloc(indexLen);
  if (fs.readSync(fd, index, 0, indexLen, HEAD) !== indexLen) throw new Error('tar-split: truncated');
  return { tarSize: Number(head.readBigUInt64BE(4)), recordsLen: Number(head.readBigUInt64BE(12)), indexLen, spills: JSON.parse(index.toString()) };
}

/** Length of the tar a tar-split file describes. */
export function splitTarSize(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    return readHead(fd).tarSize;
  } finally {
    fs.closeSync(fd);
  }
}

/** A small pull-parser over an async byte stream. */
class ByteQueue {
  #buf: Buffer = Buffer.alloc(0);
  readonly #it: AsyncIterator<Buffer>;
  constructor(src: AsyncIterable<Buffer>) {
    this.#it = src[Symbol.asyncIterator]();
  }
  async need(n: number): Promise<Buffer | undefined> {
    while (this.#buf.length < n) {
      const r = await this.#it.next();
      if (r.done) {
        if (this.#buf.length === 0) return undefined;
        throw new Error('tar-split: truncated records');
      }
      this.#buf = this.#buf.length ? Buffer.concat([this.#buf, r.value]) : r.value;
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
}

const CHUNK = 1 << 20;
const SMALL = 64 * 1024;

function readSmall(abs: string, rel: string, size: number): Buffer {
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size !== size) throw new Error(`tar-split: ${rel} is not the file the layer wrote (${st.size} bytes, recorded ${size})`);
    const buf = Buffer.allocUnsafe(size);
    for (let off = 0; off < size; ) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) throw new Error(`tar-split: ${rel} is shorter than recorded`);
      off += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

async function* readExact(fd: number, start: number, size: number, what: string): AsyncGenerator<Buffer, void, undefined> {
  let off = 0;
  while (off < size) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - off));
    const { bytesRead } = await new Promise<{ bytesRead: number }>((resolve, reject) =>
      fs.read(fd, buf, 0, buf.length, start + off, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead }))));
    if (bytesRead === 0) throw new Error(`tar-split: ${what} is shorter than recorded`);
    off += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

/**
 * The original tar of a layer: recorded bytes, file contents read from `root` (never through a
 * symlink in the last component; layer roots are daemon-private and immutable).
 */
export async function* splitTarStream(file: string, root: string): AsyncGenerator<Buffer, void, undefined> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const head = readHead(fd.fd);
    const recordsStart = HEAD + head.indexLen;
    const spillStart = recordsStart + head.recordsLen;
    const gunzip = createGunzip();
    const records = fs.createReadStream('', { fd: fd.fd, start: recordsStart, end: recordsStart + head.recordsLen - 1, autoClose: false });
    if (head.recordsLen === 0) records.destroy();
    const src: Readable = head.recordsLen === 0 ? Readable.from([]) : records.pipe(gunzip);
    records.on('error', (e) => gunzip.destroy(e));
    const q = new ByteQueue(src as AsyncIterable<Buffer>);
    for (let no = 0; ; no++) {
      const t = await q.need(1);
      if (!t) break;
      if (t[0] === 0x52 /* R */) {
        const len = (await q.need(4))!.readUInt32BE(0);
        yield Buffer.from((await q.need(len))!);
        continue;
      }
      if (t[0] !== 0x46 /* F */) throw new Error('tar-split: bad record');
      const h = (await q.need(12))!;
      const size = Number(h.readBigUInt64BE(0));
      const rel = (await q.need(h.readUInt32BE(8)))!.toString();
      const spill = head.spills[no];
      if (spill) {
        if (spill[1] !== size) throw new Error(`tar-split: spilled ${rel} has the wrong size`);
        yield* readExact(fd.fd, spillStart + spill[0], size, rel);
        continue;
      }
      const abs = rel === '' ? root : path.join(root, rel);
      if (!abs.startsWith(root + path.sep)) throw new Error(`tar-split: ${rel} is outside the layer`);
      if (size <= SMALL) {
        // Small files (most of a layer's entries) synchronously: an async open/stat/read/close
        // per file costs ~6× more here, and one such read blocks the loop for microseconds.
        yield readSmall(abs, rel, size);
        continue;
      }
      const f = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        const st = await f.stat();
        if (!st.isFile() || st.size !== size) throw new Error(`tar-split: ${rel} is not the file the layer wrote (${st.size} bytes, recorded ${size})`);
        yield* readExact(f.fd, 0, size, rel);
      } finally {
        await f.close();
      }
    }
  } finally {
    await fd.close();
  }
}
