/**
 * Docker's `filters` query parameter: JSON of {"key": ["v", …]} or the legacy
 * {"key": {"v": true}} map. Malformed JSON is the caller's error (400).
 */
import { InvalidArgumentError } from '../../common/errors.ts';

export type Filters = Record<string, string[]>;

export function parseFilters(raw: string | null): Filters {
  if (raw === null || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`invalid filter: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('invalid filter: expected an object');
  const out: Filters = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.entries(v as Record<string, unknown>).filter(([, on]) => on).map(([name]) => name);
    else throw new InvalidArgumentError(`invalid filter value for '${k}'`);
  }
  return out;
}

/** Refuses keys outside `allowed` with docker's message. */
export function checkFilterKeys(f: Filters, allowed: readonly string[]): void {
  for (const k of Object.keys(f)) if (!allowed.includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
}
