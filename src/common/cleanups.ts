/**
 * Failed cleanups are never silent: `CleanupJournal.attempt` runs a cleanup (runtime delete,
 * unmount, snapshot removal, sandbox teardown, rm of a directory); a failure the caller names as
 * expected (the thing is already gone) is ignored, any other one is logged with what failed
 * and its id and recorded in a small persisted list (`<data-root>/pending-cleanups.json`), which
 * the daemon replays at its next start (`replay`): an entry that succeeds is dropped, one that
 * fails again is logged and kept.
 *
 * The file is rewritten atomically (temp + rename) and read leniently: a torn or foreign file
 * is logged and set aside, never fatal. `remove-path` entries are replayed only inside the
 * roots the daemon owns (the journal is not a way to delete arbitrary paths).
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError } from './errors.ts';
import type { Logger } from './logger.ts';

export interface PendingCleanup {
  /** What to do again: a key of the replay handlers (`runtime-delete`, `snapshot-remove`, …). */
  kind: string;
  /** Its id or path. */
  target: string;
  /** The last failure's message. */
  error: string;
  /** When it first failed (RFC 3339). */
  since: string;
  attempts: number;
}

export type CleanupHandler = (target: string) => Promise<void> | void;

/** The error's code (ENOENT, EBUSY, …) when it has one. */
export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Rethrows `err` unless its code is one of `codes` (a failure the caller expects and names). */
export function onlyErrno(err: unknown, ...codes: string[]): void {
  const code = errnoOf(err);
  if (code === undefined || !codes.includes(code)) throw err;
}

/** Rethrows `err` unless it is a JSON syntax error (a value that is not JSON is expected). */
export function onlyJsonSyntax(err: unknown): void {
  if (!(err instanceof SyntaxError)) throw err;
}

/** An expected-failure test for `attempt`: the thing is already gone. */
export function isGone(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'ENOENT' || code === 'ESRCH' || err instanceof NotFoundError;
}

export class CleanupJournal {
  readonly #file: string | undefined;
  readonly #logger: Logger;
  #entries: PendingCleanup[] = [];

  /** `file`: where the list persists (none: failures are only logged, as in unit tests). */
  constructor(file: string | undefined, logger: Logger) {
    this.#file = file;
    this.#logger = logger;
    if (file) this.#entries = this.#load(file);
  }

  pending(): PendingCleanup[] {
    return this.#entries.map((e) => ({ ...e }));
  }

  /**
   * Runs `fn`; true when it did its job. A failure `expected` accepts counts as done (the
   * thing was already gone); any other is logged and recorded for the next start. Never throws.
   */
  async attempt(kind: string, target: string, fn: () => Promise<unknown> | unknown, expected: (err: unknown) => boolean = () => false): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      if (expected(err)) return true;
      this.fail(kind, target, err);
      return false;
    }
  }

  /** Synchronous `attempt`. */
  attemptSync(kind: string, target: string, fn: () => unknown, expected: (err: unknown) => boolean = () => false): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      if (expected(err)) return true;
      this.fail(kind, target, err);
      return false;
    }
  }

  /**
   * Logs a failed cleanup and records it for a retry at the next daemon start. An error that
   * names the path it left behind (`leftover`, e.g. a directory renamed for removal) is
   * recorded as the removal of that path.
   */
  fail(kind: string, target: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const leftover = (err as { leftover?: unknown } | undefined)?.leftover;
    if (typeof leftover === 'string') {
      this.#logger.warn(`cleanup failed: ${kind} ${target}: ${message}`, { kind, target });
      kind = 'remove-path';
      target = leftover;
    }
    this.#logger.warn(`cleanup failed, will retry at the next daemon start: ${kind} ${target}: ${message}`, { kind, target });
    const e = this.#entries.find((x) => x.kind === kind && x.target === target);
    if (e) { e.error = message; e.attempts++; } else this.#entries.push({ kind, target, error: message, since: new Date().toISOString(), attempts: 1 });
    this.#save();
  }

  /** Drops the entries a caller handled itself (e.g. a later cleanup of the same thing worked). */
  forget(kind: string, target: string): void {
    const n = this.#entries.length;
    this.#entries = this.#entries.filter((x) => !(x.kind === kind && x.target === target));
    if (this.#entries.length !== n) this.#save();
  }

  /**
   * Runs every pending cleanup again (daemon start-up), in the order they failed. `skip`
   * drops an entry unrun (its target is in use again). Returns what succeeded and what is left.
   */
  async replay(handlers: Record<string, CleanupHandler>, skip: (e: PendingCleanup) => boolean = () => false): Promise<{ done: PendingCleanup[]; left: PendingCleanup[] }> {
    const done: PendingCleanup[] = [];
    const left: PendingCleanup[] = [];
    for (const e of this.#entries) {
      const h = handlers[e.kind];
      if (!h) {
        this.#logger.warn(`pending cleanup of an unknown kind kept: ${e.kind} ${e.target}`);
        left.push(e);
        continue;
      }
      if (skip(e)) {
        this.#logger.info(`pending cleanup dropped (in use again): ${e.kind} ${e.target}`);
        continue;
      }
      try {
        await h(e.target);
        this.#logger.info(`pending cleanup done: ${e.kind} ${e.target} (failed first at ${e.since})`, { kind: e.kind, target: e.target });
        done.push(e);
      } catch (err) {
        e.attempts++;
        e.error = (err as Error).message;
        this.#logger.warn(`pending cleanup failed again, kept: ${e.kind} ${e.target}: ${e.error}`, { kind: e.kind, target: e.target, attempts: e.attempts });
        left.push(e);
      }
    }
    this.#entries = left;
    this.#save();
    return { done, left };
  }

  #load(file: string): PendingCleanup[] {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') this.#logger.warn(`cannot read ${file}: ${(err as Error).message}`);
      return [];
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (!Array.isArray(v)) throw new Error('not a list');
      return v.filter((e): e is PendingCleanup => !!e && typeof e.kind === 'string' && typeof e.target === 'string')
        .map((e) => ({ kind: e.kind, target: e.target, error: String(e.error ?? ''), since: String(e.since ?? ''), attempts: Number(e.attempts) || 1 }));
    } catch (err) {
      const aside = `${file}.corrupt-${Date.now()}`;
      this.#logger.warn(`${file} is unreadable (${(err as Error).message}); set aside as ${aside}`);
      try { fs.renameSync(file, aside); } catch (e) { this.#logger.warn(`cannot set ${file} aside: ${(e as Error).message}`); }
      return [];
    }
  }

  #save(): void {
    if (!this.#file) return;
    const tmp = `${this.#file}.tmp`;
    try {
      if (this.#entries.length === 0) {
        fs.rmSync(this.#file, { force: true });
        return;
      }
      fs.writeFileSync(tmp, JSON.stringify(this.#entries, null, 1) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, this.#file);
    } catch (err) {
      this.#logger.error(`cannot persist the pending cleanups to ${this.#file}: ${(err as Error).message}`);
      // A torn temp file (a full disk) does not stay behind.
      fs.rmSync(tmp, { force: true });
    }
  }
}

/** A replay handler removing a path, refused outside `roots` (resolved, no `..` escapes). */
export function removePathWithin(roots: string[]): CleanupHandler {
  return (target) => {
    const t = path.resolve(target);
    if (!roots.some((r) => t.startsWith(path.resolve(r) + path.sep))) throw new Error(`refusing to remove ${t}: outside ${roots.join(', ')}`);
    fs.rmSync(t, { recursive: true, force: true });
  };
}
