/**
 * Filesystem storage for the registry server. Every blob and record is written
 * ingest → verify → atomic rename; nothing half-written is ever visible.
 *
 * On-disk layout under `root`:
 *   blobs/sha256/<hex>                                  blob content (layers, configs, manifests)
 *   uploads/<uuid>/data                                 an upload in progress
 *   uploads/<uuid>/repo                                 the repository it was started in
 *   repositories/<name…>/_layers/sha256/<hex>           link: the repo may serve this blob
 *   repositories/<name…>/_manifests/revisions/sha256/<hex>   link: content is the media type
 *   repositories/<name…>/_manifests/tags/<tag>          content is the manifest digest
 * Repository names may contain slashes (nested dirs); `_layers`/`_manifests` cannot collide
 * with a name component because components must start with [a-z0-9].
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryHttpError } from './errors.ts';
import { onlyErrno } from '../../common/cleanups.ts';

const digestRe = /^sha256:[a-f0-9]{64}$/;
const nameComponent = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const nameRe = new RegExp(`^${nameComponent}(?:/${nameComponent})*$`);
const tagRe = /^[\w][\w.-]{0,127}$/;

export function isDigest(s: string): boolean {
  return digestRe.test(s);
}
export function isRepoName(s: string): boolean {
  return s.length <= 255 && nameRe.test(s);
}
export function isTag(s: string): boolean {
  return tagRe.test(s);
}

export interface StoredManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

interface UploadState {
  hash: Hash;
  offset: number;
}

export class RegistryStorage {
  /** Running hashes of uploads this process has seen from offset 0 (else rehashed at commit). */
  private readonly hashes = new Map<string, UploadState>();
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    for (const d of ['blobs/sha256', 'uploads', 'repositories']) await fs.mkdir(path.join(this.root, d), { recursive: true, mode: 0o700 });
    await this.purgeUploads(24 * 3600_000);
  }

  /** Removes uploads untouched for `olderThanMs` (abandoned pushes); returns how many. */
  async purgeUploads(olderThanMs: number): Promise<number> {
    let n = 0;
    for (const uuid of await fs.readdir(path.join(this.root, 'uploads')).catch((e) => { onlyErrno(e, 'ENOENT'); return [] as string[]; })) {
      const dir = path.join(this.root, 'uploads', uuid);
      const st = await fs.stat(path.join(dir, 'data')).catch((e) => { onlyErrno(e, 'ENOENT'); return fs.stat(dir).catch((e2) => { onlyErrno(e2, 'ENOENT'); return undefined; }); });
      if (st && Date.now() - st.mtimeMs > olderThanMs) {
        this.hashes.delete(uuid);
        await fs.rm(dir, { recursive: true, force: true });
        n++;
      }
    }
    return n;
  }

  blobPath(digest: string): string {
    return path.join(this.root, 'blobs', 'sha256', digest.slice(7));
  }
  private repoDir(name: string): string {
    return path.join(this.root, 'repositories', ...name.split('/'));
  }
  private layerLink(name: string, digest: string): string {
    return path.join(this.repoDir(name), '_layers', 'sha256', digest.slice(7));
  }
  private revisionLink(name: string, digest: string): string {
    return path.join(this.repoDir(name), '_manifests', 'revisions', 'sha256', digest.slice(7));
  }
  private tagFile(name: string, tag: string): string {
    return path.join(this.repoDir(name), '_manifests', 'tags', tag);
  }
  private uploadDir(uuid: string): string {
    if (!/^[0-9a-f-]{36}$/.test(uuid)) throw new RegistryHttpError('BLOB_UPLOAD_UNKNOWN');
    return path.join(this.root, 'uploads', uuid);
  }

  /** Size of a stored blob, or undefined. */
  async blobSize(digest: string): Promise<number | undefined> {
    try {
      return (await fs.stat(this.blobPath(digest))).size;
    } catch {
      return undefined;
    }
  }

  /** Size of a blob the repository may serve (linked as layer/config or as a manifest). */
  async repoBlobSize(name: string, digest: string): Promise<number | undefined> {
    if (!(await exists(this.layerLink(name, digest))) && !(await exists(this.revisionLink(name, digest)))) return undefined;
    return this.blobSize(digest);
  }

  async linkBlob(name: string, digest: string): Promise<void> {
    await writeAtomic(this.layerLink(name, digest), '');
  }

  /** Removes the repository's link to a blob; false when it had none. */
  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    try {
      await fs.unlink(this.layerLink(name, digest));
      return true;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- uploads

  async startUpload(name: string): Promise<string> {
    const uuid = randomUUID();
    const dir = this.uploadDir(uuid);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'data'), '');
    await fs.writeFile(path.join(dir, 'repo'), name);
    this.hashes.set(uuid, { hash: createHash('sha256'), offset: 0 });
    return uuid;
  }

  /** Current size of an upload; throws BLOB_UPLOAD_UNKNOWN when there is none for this repo. */
  async uploadOffset(name: string, uuid: string): Promise<number> {
    const dir = this.uploadDir(uuid);
    try {
      const repo = await fs.readFile(path.join(dir, 'repo'), 'utf8');
      if (repo !== name) throw new Error('other repo');
      return (await fs.stat(path.join(dir, 'data'))).size;
    } catch {
      throw new RegistryHttpError('BLOB_UPLOAD_UNKNOWN');
    }
  }

  /** Appends a request body to an upload at `expectedOffset` (when given); returns the new size. */
  async appendUpload(name: string, uuid: string, body: Readable, expectedOffset?: number): Promise<number> {
    const offset = await this.uploadOffset(name, uuid);
    if (expectedOffset !== undefined && expectedOffset !== offset) throw new RegistryHttpError('RANGE_INVALID', { offset });
    const file = path.join(this.uploadDir(uuid), 'data');
    let state = this.hashes.get(uuid);
    if (state && state.offset !== offset) {
      this.hashes.delete(uuid);
      state = undefined;
    }
    const out = createWriteStream(file, { flags: 'a' });
    let written = 0;
    await pipeline(
      body,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) {
          state?.hash.update(chunk);
          written += chunk.length;
          yield chunk;
        }
      },
      out,
    );
    if (state) state.offset += written;
    return offset + written;
  }

  /**
   * Verifies the upload against `digest` and moves it into the blob store, linked to `name`.
   * On a mismatch the upload is removed and DIGEST_INVALID is thrown.
   */
  async commitUpload(name: string, uuid: string, digest: string, expectedSize?: number): Promise<number> {
    if (!isDigest(digest)) {
      await this.cancelUpload(name, uuid);
      throw new RegistryHttpError('DIGEST_INVALID', { digest }, 'invalid digest');
    }
    const size = await this.uploadOffset(name, uuid);
    const file = path.join(this.uploadDir(uuid), 'data');
    let state = this.hashes.get(uuid);
    let actual: string;
    if (state && state.offset === size) actual = 'sha256:' + state.hash.digest('hex');
    else {
      const h = createHash('sha256');
      await pipeline(createReadStream(file), h);
      actual = 'sha256:' + h.digest('hex');
    }
    this.hashes.delete(uuid);
    state = undefined;
    if (actual !== digest || (expectedSize !== undefined && expectedSize !== size)) {
      await this.cancelUpload(name, uuid);
      if (actual !== digest) throw new RegistryHttpError('DIGEST_INVALID', { digest, actual });
      throw new RegistryHttpError('SIZE_INVALID', { size, expectedSize });
    }
    await fs.rename(file, this.blobPath(digest));
    await fs.rm(this.uploadDir(uuid), { recursive: true, force: true });
    await this.linkBlob(name, digest);
    return size;
  }

  async cancelUpload(name: string, uuid: string): Promise<void> {
    await this.uploadOffset(name, uuid);
    this.hashes.delete(uuid);
    await fs.rm(this.uploadDir(uuid), { recursive: true, force: true });
  }

  // -------------------------------------------------------------- manifests

  /** Stores manifest bytes, links them to the repository and optionally tags them. */
  async putManifest(name: string, body: Buffer, mediaType: string, tag?: string): Promise<string> {
    const digest = 'sha256:' + createHash('sha256').update(body).digest('hex');
    if ((await this.blobSize(digest)) !== body.length) await writeAtomic(this.blobPath(digest), body);
    await writeAtomic(this.revisionLink(name, digest), mediaType);
    if (tag) await writeAtomic(this.tagFile(name, tag), digest);
    return digest;
  }

  async getManifest(name: string, reference: string): Promise<StoredManifest | undefined> {
    let digest = reference;
    if (!isDigest(reference)) {
      try {
        digest = (await fs.readFile(this.tagFile(name, reference), 'utf8')).trim();
      } catch {
        return undefined;
      }
    }
    let mediaType: string;
    let body: Buffer;
    try {
      mediaType = await fs.readFile(this.revisionLink(name, digest), 'utf8');
      body = await fs.readFile(this.blobPath(digest));
    } catch {
      return undefined;
    }
    return { body, mediaType, digest };
  }

  /** Deletes a manifest by digest (and every tag pointing at it) or a single tag. */
  async deleteManifest(name: string, reference: string): Promise<boolean> {
    if (!isDigest(reference)) {
      try {
        await fs.unlink(this.tagFile(name, reference));
        return true;
      } catch {
        return false;
      }
    }
    try {
      await fs.unlink(this.revisionLink(name, reference));
    } catch {
      return false;
    }
    for (const t of await this.tags(name)) {
      const d = await fs.readFile(this.tagFile(name, t), 'utf8').catch((e) => { onlyErrno(e, 'ENOENT'); return ''; });
      if (d.trim() === reference) await fs.unlink(this.tagFile(name, t)).catch((e) => onlyErrno(e, 'ENOENT'));
    }
    return true;
  }

  async tags(name: string): Promise<string[]> {
    try {
      return (await fs.readdir(path.join(this.repoDir(name), '_manifests', 'tags'))).filter((t) => !t.startsWith('.')).sort();
    } catch {
      return [];
    }
  }

  async repoExists(name: string): Promise<boolean> {
    return (await exists(path.join(this.repoDir(name), '_manifests'))) || exists(path.join(this.repoDir(name), '_layers'));
  }

  /** All repository names, sorted. */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string[]): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name === '_manifests') {
          if (prefix.length) out.push(prefix.join('/'));
          continue;
        }
        if (e.name.startsWith('_')) continue;
        await walk(path.join(dir, e.name), [...prefix, e.name]);
      }
    };
    await walk(path.join(this.root, 'repositories'), []);
    return out.sort();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes a small file via a temp file in the same directory and a rename. */
export async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomUUID()}`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
