/**
 * Content-addressed blobs (image configs, manifests; layer tars only in stores from before
 * tar-split, see layer-store.ts).
 *
 * On disk, under the store root:
 *   content/sha256/<hex>   one immutable blob, named by the sha256 of its bytes
 *   tmp/ingest-<rand>      a blob being written; renamed into content/ only once complete,
 *                          hashed, verified and fsynced — a killed daemon leaves at most a
 *                          temp file, which `cleanTemp()` removes at startup
 *   tmp/<other>            scratch directories of other jobs (load extraction), same rule
 *
 * Ingest: stream → temp file (hashing as bytes pass) → verify expected digest/size → fsync →
 * rename. Reads are plain files. Blobs are removed only by their owner (the layer/image store).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError } from '../common/errors.ts';

export interface IngestOptions {
  /** `sha256:<hex>` the bytes must hash to. */
  expected?: string;
  /** Exact byte count the blob must have. */
  size?: number;
}

export interface BlobInfo {
  digest: string;
  size: number;
}

const DIGEST_RE = /^sha256:([a-f0-9]{64})$/;

function hexOf(digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw new InvalidArgumentError(`invalid digest ${JSON.stringify(digest)}`);
  return m[1]!;
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class ContentStore {
  readonly blobDir: string;
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.blobDir = path.join(root, 'content', 'sha256');
    this.tmpDir = path.join(root, 'tmp');
    fs.mkdirSync(this.blobDir, { recursive: true });
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  path(digest: string): string {
    return path.join(this.blobDir, hexOf(digest));
  }

  has(digest: string): boolean {
    return DIGEST_RE.test(digest) && fs.existsSync(this.path(digest));
  }

  size(digest: string): number {
    try {
      return fs.statSync(this.path(digest)).size;
    } catch {
      throw new NotFoundError(`content ${digest}: not found`);
    }
  }

  /** A new private scratch path under tmp/ (removed by cleanTemp at startup if left behind). */
  tempPath(prefix: string): string {
    return path.join(this.tmpDir, `${prefix}-${randomBytes(8).toString('hex')}`);
  }

  /** Streams `src` into the store; see the module comment for the steps. */
  async ingest(src: Readable, opts: IngestOptions = {}): Promise<BlobInfo> {
    const tmp = this.tempPath('ingest');
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(src, tap, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
      await fsyncFile(tmp);
      const digest = `sha256:${hash.digest('hex')}`;
      if (opts.expected !== undefined && opts.expected !== digest) {
        throw new InvalidArgumentError(`digest mismatch: expected ${opts.expected}, got ${digest}`);
      }
      if (opts.size !== undefined && opts.size !== size) {
        throw new InvalidArgumentError(`size mismatch for ${digest}: expected ${opts.size} bytes, got ${size}`);
      }
      await this.commit(tmp, digest);
      return { digest, size };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  /** Writes a small blob (a config, a manifest) from memory. */
  async writeBuffer(buf: Buffer, expected?: string): Promise<BlobInfo> {
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    if (expected !== undefined && expected !== digest) throw new InvalidArgumentError(`digest mismatch: expected ${expected}, got ${digest}`);
    if (this.has(digest)) return { digest, size: buf.length };
    const tmp = this.tempPath('ingest');
    try {
      const fh = await fsp.open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(buf);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.commit(tmp, digest);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    return { digest, size: buf.length };
  }

  private async commit(tmp: string, digest: string): Promise<void> {
    const dest = this.path(digest);
    if (fs.existsSync(dest)) {
      await fsp.rm(tmp, { force: true });
      return;
    }
    await fsp.rename(tmp, dest);
    await fsyncFile(this.blobDir);
  }

  readStream(digest: string): Readable {
    if (!this.has(digest)) throw new NotFoundError(`content ${digest}: not found`);
    return fs.createReadStream(this.path(digest));
  }

  async readBuffer(digest: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.path(digest));
    } catch {
      throw new NotFoundError(`content ${digest}: not found`);
    }
  }

  readBufferSync(digest: string): Buffer {
    try {
      return fs.readFileSync(this.path(digest));
    } catch {
      throw new NotFoundError(`content ${digest}: not found`);
    }
  }

  async delete(digest: string): Promise<void> {
    await fsp.rm(this.path(digest), { force: true });
  }

  /** Every blob digest on disk. */
  list(): string[] {
    return fs.readdirSync(this.blobDir).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes everything under tmp/ (startup: no job is running yet). */
  async cleanTemp(): Promise<number> {
    const names = await fsp.readdir(this.tmpDir);
    for (const n of names) await fsp.rm(path.join(this.tmpDir, n), { recursive: true, force: true });
    return names.length;
  }
}
