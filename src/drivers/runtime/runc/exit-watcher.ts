/**
 * Waits for conmon's exit files. conmon writes `<exit-dir>/<name>` atomically (temp + rename)
 * after the process's output is drained; one inotify watch (fs.watch) per directory serves
 * every waiter. Works for processes started by an earlier daemon: only the file matters.
 * Optional liveness check: if the monitor is gone and no file appeared, the code is lost.
 */
import fs from 'node:fs';

export interface ExitFile {
  code: number;
  at: Date;
}

interface Waiter {
  name: string;
  resolve: (v: ExitFile | undefined) => void;
  alive?: () => boolean;
}

export function readExitFile(file: string): ExitFile | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (text === '') return undefined;
    const st = fs.statSync(file);
    return { code: parseInt(text, 10), at: st.mtime };
  } catch {
    return undefined;
  }
}

export class ExitWatcher {
  private dirs = new Map<string, { watcher: fs.FSWatcher; waiters: Set<Waiter> }>();
  private timer: NodeJS.Timeout | undefined;

  /** Resolves with the exit file's content, or undefined once `alive()` says the monitor died without one. */
  wait(dir: string, name: string, alive?: () => boolean): Promise<ExitFile | undefined> {
    return new Promise((resolve) => {
      const w: Waiter = { name, resolve, alive };
      let entry = this.dirs.get(dir);
      if (!entry) {
        fs.mkdirSync(dir, { recursive: true });
        const watcher = fs.watch(dir, (_ev, filename) => this.check(dir, filename ? String(filename) : undefined));
        watcher.on('error', () => this.check(dir, undefined));
        entry = { watcher, waiters: new Set() };
        this.dirs.set(dir, entry);
      }
      entry.waiters.add(w);
      this.check(dir, name);
      if (alive && !this.timer) this.timer = setInterval(() => this.poll(), 500);
    });
  }

  private check(dir: string, filename: string | undefined): void {
    const entry = this.dirs.get(dir);
    if (!entry) return;
    for (const w of [...entry.waiters]) {
      if (filename !== undefined && filename !== w.name) continue;
      const f = readExitFile(`${dir}/${w.name}`);
      if (f) this.settle(dir, w, f);
    }
  }

  private poll(): void {
    let any = false;
    for (const [dir, entry] of this.dirs) {
      for (const w of [...entry.waiters]) {
        if (!w.alive) continue;
        any = true;
        if (w.alive()) continue;
        this.settle(dir, w, readExitFile(`${dir}/${w.name}`));
      }
    }
    if (!any && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private settle(dir: string, w: Waiter, f: ExitFile | undefined): void {
    const entry = this.dirs.get(dir);
    if (!entry || !entry.waiters.delete(w)) return;
    if (entry.waiters.size === 0) {
      entry.watcher.close();
      this.dirs.delete(dir);
    }
    w.resolve(f);
  }

  close(): void {
    for (const [, e] of this.dirs) e.watcher.close();
    this.dirs.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
