/**
 * Times to the nanosecond, as bigint nanoseconds since the epoch: the wall clock (events,
 * CRI) and stored RFC 3339 times with any fraction (log records, container records), whose
 * digits past the millisecond `Date.parse` drops. Parsing a user's time or duration is
 * `api/types/docker-time.ts`'s job, not this module's.
 */

/** Now: the wall clock's milliseconds plus the sub-millisecond part of the monotonic clock. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

/**
 * An RFC 3339 time (`2024-05-01T10:00:00.123456789Z`, any offset, any fraction) in nanoseconds;
 * undefined when it does not parse. `ms` is `Date.parse(text)` where the caller has it already.
 */
export function rfc3339Ns(text: string, ms = Date.parse(text)): bigint | undefined {
  if (Number.isNaN(ms)) return undefined;
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0').slice(3, 9));
}
