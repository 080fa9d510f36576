/**
 * Image records. An image's ID is `sha256:` + the sha256 of its config JSON bytes exactly as
 * stored; the config itself is a content blob (content/sha256/<id hex>) kept verbatim, so the
 * ID survives save/load/push byte for byte.
 *
 * On disk: the `images` table in metadata.db (one row per image: parent image, top layer
 * ChainID, size of the layer chain, created, last tag time) and the config blob. The blob is
 * written (and fsynced) before the row is inserted, and the row only after every layer is
 * registered, so a row always names a complete image.
 */
import type { ContentStore } from './content-store.ts';
import { migrate, type Db } from './db.ts';

export interface ImageRecord {
  id: string;
  /** Parent image id (commit/build), or null. */
  parent: string | null;
  /** ChainID of the top layer; null for an image with no layers. */
  topChainId: string | null;
  /** Bytes of the whole layer chain. */
  size: number;
  /** Unix ms the image was created (from its config). */
  created: number;
  /** RFC 3339 time of the last tag, or null. */
  lastTagTime: string | null;
  /** Unix ms the record was written. */
  stored: number;
}

const MIGRATIONS = [
  `CREATE TABLE images (
     id            TEXT PRIMARY KEY,
     parent        TEXT,
     top_chain_id  TEXT,
     size          INTEGER NOT NULL,
     created       INTEGER NOT NULL,
     last_tag_time TEXT,
     stored        INTEGER NOT NULL
   );
   CREATE INDEX images_parent ON images(parent);
   CREATE INDEX images_top ON images(top_chain_id);`,
];

interface Row { id: string; parent: string | null; top_chain_id: string | null; size: number; created: number; last_tag_time: string | null; stored: number }

function toRecord(r: Row): ImageRecord {
  return { id: r.id, parent: r.parent, topChainId: r.top_chain_id, size: r.size, created: r.created, lastTagTime: r.last_tag_time, stored: r.stored };
}

export interface NewImage {
  config: Buffer;
  parent?: string | null;
  topChainId: string | null;
  size: number;
  created: number;
}

export class ImageStore {
  constructor(private readonly db: Db, private readonly content: ContentStore) {
    migrate(db, 'images', MIGRATIONS);
  }

  get(id: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as Row | undefined;
    return r && toRecord(r);
  }

  all(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY created DESC, id').all() as Row[]).map(toRecord);
  }

  /** The config bytes exactly as stored. */
  config(id: string): Buffer {
    return this.content.readBufferSync(id);
  }

  /** Writes the config blob, then the row (idempotent: an existing image is returned). */
  async create(img: NewImage): Promise<ImageRecord> {
    const { digest } = await this.content.writeBuffer(img.config);
    const existing = this.get(digest);
    if (existing) return existing;
    this.db.prepare('INSERT INTO images (id, parent, top_chain_id, size, created, last_tag_time, stored) VALUES (?, ?, ?, ?, ?, NULL, ?)')
      .run(digest, img.parent ?? null, img.topChainId, img.size, img.created, Date.now());
    return this.get(digest)!;
  }

  /** Removes the row and the config blob. */
  async delete(id: string): Promise<void> {
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
    await this.content.delete(id);
  }

  children(id: string): string[] {
    return (this.db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: string }[]).map((r) => r.id);
  }

  /** Re-parents an image (the build cache adopts a `--cache-from` image into the local chain). */
  setParent(id: string, parent: string | null): void {
    this.db.prepare('UPDATE images SET parent = ? WHERE id = ?').run(parent, id);
  }

  setLastTagTime(id: string, time: string): void {
    this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(time, id);
  }

  /** Ids starting with `sha256:<prefix>`. */
  search(hexPrefix: string): string[] {
    if (!/^[a-f0-9]+$/.test(hexPrefix)) return [];
    return (this.db.prepare('SELECT id FROM images WHERE id >= ? AND id < ? ORDER BY id').all(`sha256:${hexPrefix}`, `sha256:${hexPrefix}g`) as { id: string }[]).map((r) => r.id);
  }

  /** Whether some image has `chainId` as its top layer (the layer store's hold predicate). */
  holdsLayer(chainId: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM images WHERE top_chain_id = ? LIMIT 1').get(chainId);
  }

  /** Startup: drops images whose top layer row is gone (see LayerStore.reconcile). */
  async dropUsingLayers(chainIds: readonly string[]): Promise<string[]> {
    const dropped: string[] = [];
    for (const c of chainIds) {
      for (const r of this.db.prepare('SELECT id FROM images WHERE top_chain_id = ?').all(c) as { id: string }[]) {
        await this.delete(r.id);
        dropped.push(r.id);
      }
    }
    return dropped;
  }

  /** Startup: drops rows whose config blob vanished. */
  async dropWithoutConfig(): Promise<string[]> {
    const dropped: string[] = [];
    for (const r of this.all()) if (!this.content.has(r.id)) { await this.delete(r.id); dropped.push(r.id); }
    return dropped;
  }
}
