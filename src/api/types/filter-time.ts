/**
 * Docker's filter times (`until`, `since` of images, prune): unix seconds (fraction allowed),
 * an RFC 3339 / date string, or a Go duration before now (`24h`, `1h30m`, `10m`). Unix ms.
 */
import { InvalidArgumentError } from '../../common/errors.ts';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };

export function parseFilterTime(v: string, now = Date.now()): number {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (!Number.isNaN(t)) return t;
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return now - ms;
  }
  throw new InvalidArgumentError(`failed to parse value ${v} as time`);
}
