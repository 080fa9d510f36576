/**
 * Test fixtures for the registry tests: a registry server on 127.0.0.1 (random port) in a temp
 * dir with a request log, a directory-backed ImageDestination (ingest → verify → rename, the
 * contract the image store implements) and an in-memory ImageSource.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { createRegistryServer, htpasswdLine, type RegistryServer } from '../../src/registry/server/index.ts';
import type { ImageDestination, ImageSource, LayerBlobInfo, PullCommit, CompressedDigestCache } from '../../src/registry/client/index.ts';

export const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export interface TestRegistry {
  srv: RegistryServer;
  host: string;
  root: string;
  /** "METHOD path" of every request. */
  requests: string[];
  close(): Promise<void>;
}

export async function startRegistry(opts: { user?: string; password?: string; publicSearch?: boolean } = {}): Promise<TestRegistry> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-registry-test-'));
  let auth: { htpasswd: string; realm: string } | undefined;
  if (opts.user && opts.password) {
    const file = path.join(root, 'htpasswd');
    await fs.writeFile(file, htpasswdLine(opts.user, opts.password, 4) + '\n');
    auth = { htpasswd: file, realm: 'test-registry' };
  }
  const srv = createRegistryServer({ root: path.join(root, 'data'), auth, publicSearch: opts.publicSearch });
  const requests: string[] = [];
  srv.server.on('request', (req) => requests.push(`${req.method} ${req.url}`));
  const { port } = await srv.listen(0, '127.0.0.1');
  return {
    srv,
    host: `127.0.0.1:${port}`,
    root,
    requests,
    async close() {
      await srv.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** A directory-backed pull destination: blobs are written to ingest/ and renamed only when verified. */
export class DirDestination implements ImageDestination {
  readonly tags = new Map<string, string>();
  readonly commits: PullCommit[] = [];
  putBlobCalls = 0;
  aborted = 0;
  constructor(readonly root: string) {}

  static async create(): Promise<DirDestination> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-registry-dest-'));
    for (const d of ['ingest', 'blobs', 'configs']) await fs.mkdir(path.join(root, d));
    return new DirDestination(root);
  }

  blobPath(digest: string): string {
    return path.join(this.root, 'blobs', digest.slice(7));
  }

  async hasLayer(l: { digest: string }): Promise<boolean> {
    return fs.access(this.blobPath(l.digest)).then(
      () => true,
      () => false,
    );
  }

  async putBlob(stream: Readable, info: LayerBlobInfo): Promise<string> {
    this.putBlobCalls++;
    const tmp = path.join(this.root, 'ingest', randomUUID());
    try {
      await pipeline(stream, createWriteStream(tmp));
      const h = createHash('sha256');
      await pipeline(createReadStream(tmp), createGunzip(), h);
      await fs.rename(tmp, this.blobPath(info.digest));
      return 'sha256:' + h.digest('hex');
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async putConfig(config: Buffer, digest: string): Promise<void> {
    await fs.writeFile(path.join(this.root, 'configs', digest.slice(7)), config);
  }

  async commit(c: PullCommit): Promise<{ updated: boolean }> {
    this.commits.push(c);
    const key = `${c.ref.domain}/${c.ref.path}:${c.ref.tag ?? c.ref.digest}`;
    const updated = this.tags.get(key) !== c.configDigest;
    this.tags.set(key, c.configDigest);
    return { updated };
  }

  async abort(): Promise<void> {
    this.aborted++;
  }

  async list(dir: 'ingest' | 'blobs' | 'configs'): Promise<string[]> {
    return fs.readdir(path.join(this.root, dir));
  }

  async remove(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

/** An image held in memory: random "tar" layers and a config naming their diffIds. */
export class MemorySource implements ImageSource {
  readonly layerData: Buffer[];
  readonly configBytes: Buffer;
  constructor(layerSizes: number[] = [200_000, 3_000]) {
    this.layerData = layerSizes.map((n) => randomBytes(n));
    const config = {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: this.layerData.map((b) => sha256(b)) },
      created: new Date(0).toISOString(),
      nonce: randomUUID(),
    };
    this.configBytes = Buffer.from(JSON.stringify(config));
  }
  get imageId(): string {
    return sha256(this.configBytes);
  }
  async config(): Promise<Buffer> {
    return this.configBytes;
  }
  async layers(): Promise<{ diffId: string; size?: number }[]> {
    return this.layerData.map((b) => ({ diffId: sha256(b), size: b.length }));
  }
  async openLayer(diffId: string): Promise<Readable> {
    const b = this.layerData.find((x) => sha256(x) === diffId);
    if (!b) throw new Error('no such layer');
    return Readable.from([b.subarray(0, 1000), b.subarray(1000)]);
  }
}

export class MemoryDigestCache implements CompressedDigestCache {
  readonly map = new Map<string, { digest: string; size: number }>();
  async get(diffId: string, registry: string) {
    return this.map.get(`${registry} ${diffId}`);
  }
  async set(diffId: string, registry: string, blob: { digest: string; size: number }) {
    this.map.set(`${registry} ${diffId}`, blob);
  }
}
