/**
 * Tags and digests pointing at image ids (`docker.io/library/busybox:latest` → sha256:…).
 *
 * On disk: the `image_refs` table in metadata.db, keyed by the canonical reference string
 * (full domain, `:tag` or `@digest`). One reference names one image; an image has any number.
 */
import { familiarString, parse, referenceString, repoName, type Reference } from '../common/reference.ts';
import { migrate, type Db } from './db.ts';

const MIGRATIONS = [
  `CREATE TABLE image_refs (
     ref      TEXT PRIMARY KEY,
     repo     TEXT NOT NULL,
     tag      TEXT,
     digest   TEXT,
     image_id TEXT NOT NULL,
     created  INTEGER NOT NULL
   );
   CREATE INDEX image_refs_image ON image_refs(image_id);`,
];

interface Row { ref: string; repo: string; tag: string | null; digest: string | null; image_id: string }

function toRef(r: Row): Reference {
  return parse(r.ref);
}

export class ReferenceStore {
  constructor(private readonly db: Db) {
    migrate(db, 'refs', MIGRATIONS);
  }

  /** Points `ref` (a tag or a digest reference) at `imageId`; returns the image it pointed at before. */
  add(ref: Reference, imageId: string): string | undefined {
    const key = referenceString(ref);
    const before = this.get(ref);
    this.db.prepare('INSERT OR REPLACE INTO image_refs (ref, repo, tag, digest, image_id, created) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key, repoName(ref), ref.tag ?? null, ref.digest ?? null, imageId, Date.now());
    return before !== imageId ? before : undefined;
  }

  get(ref: Reference): string | undefined {
    const r = this.db.prepare('SELECT image_id FROM image_refs WHERE ref = ?').get(referenceString(ref)) as { image_id: string } | undefined;
    return r?.image_id;
  }

  delete(ref: Reference): boolean {
    return this.db.prepare('DELETE FROM image_refs WHERE ref = ?').run(referenceString(ref)).changes > 0;
  }

  /** References of one image, sorted as docker sorts them (by familiar string). */
  references(imageId: string): Reference[] {
    const rows = this.db.prepare('SELECT * FROM image_refs WHERE image_id = ?').all(imageId) as Row[];
    return rows.map(toRef).sort((a, b) => (familiarString(a) < familiarString(b) ? -1 : familiarString(a) > familiarString(b) ? 1 : 0));
  }

  /** Every reference, grouped by image id. */
  byImage(): Map<string, Reference[]> {
    const out = new Map<string, Reference[]>();
    for (const r of this.db.prepare('SELECT * FROM image_refs ORDER BY ref').all() as Row[]) {
      const list = out.get(r.image_id) ?? [];
      list.push(toRef(r));
      out.set(r.image_id, list);
    }
    return out;
  }

  /** Startup: drops references to images that no longer exist. */
  dropDangling(imageExists: (id: string) => boolean): number {
    let n = 0;
    for (const r of this.db.prepare('SELECT ref, image_id FROM image_refs').all() as Row[]) {
      if (!imageExists(r.image_id)) { this.db.prepare('DELETE FROM image_refs WHERE ref = ?').run(r.ref); n++; }
    }
    return n;
  }
}
