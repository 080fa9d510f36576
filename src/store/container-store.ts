/**
 * Container records in the metadata database: one row per container with its name (unique)
 * and the whole record as JSON. Writes are single statements (atomic under WAL).
 *
 * Table `containers(id TEXT PRIMARY KEY, name TEXT UNIQUE, image TEXT, created TEXT, record TEXT)`.
 */
import { migrate, type Db } from './db.ts';

const MIGRATIONS = [
  `CREATE TABLE containers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     image TEXT NOT NULL,
     created TEXT NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX containers_image ON containers(image);`,
];

export interface StoredContainer { Id: string; Name: string; Image: string; Created: string }

export class ContainerStore<T extends StoredContainer> {
  private readonly stmts;

  constructor(private readonly db: Db) {
    migrate(db, 'containers', MIGRATIONS);
    this.stmts = {
      upsert: db.prepare('INSERT INTO containers (id, name, image, created, record) VALUES (@id, @name, @image, @created, @record) ON CONFLICT(id) DO UPDATE SET name = excluded.name, image = excluded.image, record = excluded.record'),
      insert: db.prepare('INSERT INTO containers (id, name, image, created, record) VALUES (@id, @name, @image, @created, @record)'),
      remove: db.prepare('DELETE FROM containers WHERE id = ?'),
      all: db.prepare('SELECT record FROM containers ORDER BY created'),
      byName: db.prepare('SELECT id FROM containers WHERE name = ?'),
      usingImage: db.prepare('SELECT id FROM containers WHERE image = ? LIMIT 1'),
    };
  }

  /** Inserts a new record; a taken name throws the SQLite constraint error (caller maps it). */
  insert(c: T): void {
    this.stmts.insert.run(this.row(c));
  }

  save(c: T): void {
    this.stmts.upsert.run(this.row(c));
  }

  remove(id: string): void {
    this.stmts.remove.run(id);
  }

  all(): T[] {
    return (this.stmts.all.all() as { record: string }[]).map((r) => JSON.parse(r.record) as T);
  }

  idByName(name: string): string | undefined {
    return (this.stmts.byName.get(name) as { id: string } | undefined)?.id;
  }

  containerUsingImage(imageId: string): string | undefined {
    return (this.stmts.usingImage.get(imageId) as { id: string } | undefined)?.id;
  }

  private row(c: T) {
    return { id: c.Id, name: c.Name, image: c.Image, created: c.Created, record: JSON.stringify(c) };
  }
}
