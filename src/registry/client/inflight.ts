/**
 * Sharing in-flight work (moby distribution/xfer): `InflightGroup.run(key, fn)` gives every
 * concurrent caller with the same key the one running promise; `Limiter` caps how many
 * transfers run at once (3 layers by default), telling a caller when it has to wait.
 */

export class InflightGroup<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** Runs `fn` unless a call with `key` is already running, in which case its result is shared. */
  run(key: string, fn: () => Promise<T>): { promise: Promise<T>; shared: boolean } {
    const existing = this.running.get(key);
    if (existing) return { promise: existing, shared: true };
    const p = (async () => {
      try {
        return await fn();
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, p);
    return { promise: p, shared: false };
  }

  get size(): number {
    return this.running.size;
  }
}

export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private limitValue: number) {
    if (!(limitValue >= 1)) throw new Error('limit must be at least 1');
  }

  get limit(): number {
    return this.limitValue;
  }

  /** Changes the cap (daemon.json reload): a higher one starts queued work now, a lower one lets running work finish. */
  setLimit(limit: number): void {
    if (!(limit >= 1)) throw new Error('limit must be at least 1');
    this.limitValue = limit;
    while (this.active < this.limitValue && this.queue.length) {
      this.active++;
      this.queue.shift()!();
    }
  }

  /** Runs `fn` when a slot is free; `onWait` is called once if it had to queue. */
  async run<T>(fn: () => Promise<T>, onWait?: () => void): Promise<T> {
    if (this.active >= this.limit) {
      onWait?.();
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.active++;
    try {
      return await fn();
    } finally {
      // The slot passes to the next waiter, unless a lowered limit wants it back.
      const next = this.active <= this.limitValue ? this.queue.shift() : undefined;
      if (next) next();
      else this.active--;
    }
  }
}

/** The state pulls and pushes share across clients: layer de-duplication and the concurrency caps. */
export interface TransferShared {
  downloads: InflightGroup<string>;
  uploads: InflightGroup<void>;
  downloadLimit: Limiter;
  uploadLimit: Limiter;
}

export function createTransferShared(maxConcurrentDownloads = 3, maxConcurrentUploads = 5): TransferShared {
  return {
    downloads: new InflightGroup<string>(),
    uploads: new InflightGroup<void>(),
    downloadLimit: new Limiter(maxConcurrentDownloads),
    uploadLimit: new Limiter(maxConcurrentUploads),
  };
}
