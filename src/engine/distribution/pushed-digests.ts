/**
 * Compressed digests of layers per registry (docker's v2 metadata service): which blob (gzip, zstd or plain tar, by its media type) a
 * layer (by DiffID) became when it was pushed to, or pulled from, a registry. A second push
 * HEADs that blob and says "Layer already exists" instead of compressing and sending again.
 *
 * On disk: table `distribution_blobs` in metadata.db, keyed by (diff_id, registry).
 */
import type { CompressedDigestCache } from '../../registry/client/index.ts';
import { migrate, type Db } from '../../store/db.ts';

const MIGRATIONS = [
  `CREATE TABLE distribution_blobs (
     diff_id  TEXT NOT NULL,
     registry TEXT NOT NULL,
     digest   TEXT NOT NULL,
     size     INTEGER NOT NULL,
     PRIMARY KEY (diff_id, registry)
   );`,
  // The blob's media type ('' = docker's gzip layer, as every row before zstd).
  `ALTER TABLE distribution_blobs ADD COLUMN media_type TEXT NOT NULL DEFAULT '';`,
];

export class PushedDigests implements CompressedDigestCache {
  constructor(private readonly db: Db) {
    migrate(db, 'distribution', MIGRATIONS);
  }

  async get(diffId: string, registry: string): Promise<{ digest: string; size: number; mediaType?: string } | undefined> {
    const r = this.db.prepare('SELECT digest, size, media_type FROM distribution_blobs WHERE diff_id = ? AND registry = ?').get(diffId, registry) as { digest: string; size: number; media_type: string } | undefined;
    return r ? { digest: r.digest, size: r.size, ...(r.media_type ? { mediaType: r.media_type } : {}) } : undefined;
  }

  async set(diffId: string, registry: string, blob: { digest: string; size: number; mediaType?: string }): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO distribution_blobs (diff_id, registry, digest, size, media_type) VALUES (?, ?, ?, ?, ?)').run(diffId, registry, blob.digest, blob.size, blob.mediaType ?? '');
  }
}
