/**
 * The streaming requests the CRI's Exec/Attach/PortForward calls cached behind single-use
 * random tokens (kubelet's requestCache): the URL carries only the token, which expires after
 * a minute; at most 1000 wait at once.
 */
import { randomBytes } from 'node:crypto';

export const TOKEN_TTL_MS = 60_000;
export const MAX_IN_FLIGHT = 1000;

export class TooManyInFlightError extends Error {
  constructor() { super('maximum number of in-flight requests exceeded'); }
}

interface Entry<T> { req: T; expires: number }

export class RequestCache<T> {
  private readonly entries = new Map<string, Entry<T>>(); // insertion order = age order

  constructor(private readonly ttlMs = TOKEN_TTL_MS, private readonly max = MAX_IN_FLIGHT, private readonly now = () => Date.now()) {}

  insert(req: T): string {
    this.gc();
    if (this.entries.size >= this.max) throw new TooManyInFlightError();
    let token: string;
    do token = randomBytes(16).toString('base64url'); while (this.entries.has(token));
    this.entries.set(token, { req, expires: this.now() + this.ttlMs });
    return token;
  }

  /** The request behind a live token, leaving it in place. */
  peek(token: string): T | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (this.now() > e.expires) { this.entries.delete(token); return undefined; }
    return e.req;
  }

  /** Takes the request out: the token cannot be used again. */
  consume(token: string): T | undefined {
    const req = this.peek(token);
    this.entries.delete(token);
    return req;
  }

  get size(): number { return this.entries.size; }

  private gc(): void {
    const t = this.now();
    for (const [k, e] of this.entries) {
      if (t <= e.expires) break;
      this.entries.delete(k);
    }
  }
}
