/**
 * The seeded random source of the crash tests: every delay before a kill -9 is drawn from it,
 * so a failing run is replayed with the seed it printed (`WHARF_CRASH_SEED=1234 npm run soak`).
 */
export interface Rng { seed: number; next(): number }

/** mulberry32: small, fast and good enough to spread kill points. */
export function seededRng(seed = Number(process.env.WHARF_CRASH_SEED ?? (Date.now() % 2 ** 31))): Rng {
  let a = seed >>> 0;
  return {
    seed,
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
