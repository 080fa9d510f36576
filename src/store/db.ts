/**
 * The metadata database: one SQLite file (better-sqlite3) in WAL mode with
 * `synchronous=NORMAL`, shared by every store. Schema changes are numbered migrations recorded
 * in `migrations`; each runs once, in its own transaction, in order.
 *
 * Stores register their migrations by name-spaced version (`images:1`, `containers:1`, …) so
 * services written by different people can each own their tables in the same file:
 *
 *   const db = openDatabase('/var/lib/wharf/metadata.db');
 *   migrate(db, 'images', IMAGE_MIGRATIONS);
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** One schema step: SQL text or a function run inside the migration's transaction. */
export type Migration = string | ((db: Db) => void);

export function openDatabase(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  return db;
}

/** Applies `steps[i]` as migration `${scope}:${i + 1}` unless already applied. */
export function migrate(db: Db, scope: string, steps: readonly Migration[]): void {
  const has = db.prepare('SELECT 1 FROM migrations WHERE id = ?');
  const mark = db.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)');
  steps.forEach((step, i) => {
    const id = `${scope}:${i + 1}`;
    if (has.get(id)) return;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      mark.run(id, new Date().toISOString());
    })();
  });
}
