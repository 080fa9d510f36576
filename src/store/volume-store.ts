/**
 * Volume metadata in the metadata database: one row per volume (its driver, labels and driver
 * options as JSON) and one row per (volume, container) reference taken when a container starts
 * with the volume and dropped when the container is removed. The data itself lives with the
 * driver (`<data-root>/volumes/<name>/_data` for the local driver).
 *
 * Tables:
 *   volumes(name TEXT PRIMARY KEY, driver TEXT, created TEXT, labels TEXT, options TEXT)
 *   volume_refs(name TEXT, container TEXT, PRIMARY KEY(name, container))
 */
import { migrate, type Db } from './db.ts';

const MIGRATIONS = [
  `CREATE TABLE volumes (
     name TEXT PRIMARY KEY,
     driver TEXT NOT NULL,
     created TEXT NOT NULL,
     labels TEXT,
     options TEXT
   );
   CREATE TABLE volume_refs (
     name TEXT NOT NULL,
     container TEXT NOT NULL,
     PRIMARY KEY (name, container)
   );`,
];

export interface StoredVolume {
  Name: string;
  Driver: string;
  /** RFC 3339 */
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
}

interface Row { name: string; driver: string; created: string; labels: string | null; options: string | null }

const fromRow = (r: Row): StoredVolume => ({
  Name: r.name,
  Driver: r.driver,
  CreatedAt: r.created,
  Labels: r.labels === null ? null : (JSON.parse(r.labels) as Record<string, string>),
  Options: r.options === null ? null : (JSON.parse(r.options) as Record<string, string>),
});

export class VolumeStore {
  private readonly stmts;

  constructor(db: Db) {
    migrate(db, 'volumes', MIGRATIONS);
    this.stmts = {
      insert: db.prepare('INSERT OR IGNORE INTO volumes (name, driver, created, labels, options) VALUES (?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM volumes WHERE name = ?'),
      all: db.prepare('SELECT * FROM volumes ORDER BY name'),
      remove: db.prepare('DELETE FROM volumes WHERE name = ?'),
      addRef: db.prepare('INSERT OR IGNORE INTO volume_refs (name, container) VALUES (?, ?)'),
      dropRef: db.prepare('DELETE FROM volume_refs WHERE name = ? AND container = ?'),
      dropRefs: db.prepare('DELETE FROM volume_refs WHERE name = ?'),
      refs: db.prepare('SELECT container FROM volume_refs WHERE name = ? ORDER BY container'),
    };
  }

  /** Inserts a new volume; returns false when the name is taken. */
  insert(v: StoredVolume): boolean {
    const r = this.stmts.insert.run(v.Name, v.Driver, v.CreatedAt, v.Labels === null ? null : JSON.stringify(v.Labels), v.Options === null ? null : JSON.stringify(v.Options));
    return r.changes === 1;
  }

  get(name: string): StoredVolume | undefined {
    const r = this.stmts.get.get(name) as Row | undefined;
    return r && fromRow(r);
  }

  all(): StoredVolume[] {
    return (this.stmts.all.all() as Row[]).map(fromRow);
  }

  remove(name: string): void {
    this.stmts.remove.run(name);
    this.stmts.dropRefs.run(name);
  }

  addRef(name: string, containerId: string): void {
    this.stmts.addRef.run(name, containerId);
  }

  dropRef(name: string, containerId: string): void {
    this.stmts.dropRef.run(name, containerId);
  }

  refs(name: string): string[] {
    return (this.stmts.refs.all(name) as { container: string }[]).map((r) => r.container);
  }
}
