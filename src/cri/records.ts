/** Finding CRI objects among the engine's containers. */
import { NotFoundError } from '../common/errors.ts';
import type { ContainerRecord } from '../engine/containers/index.ts';
import type { CriDeps } from './deps.ts';
import { KIND_LABEL, criKind } from './meta.ts';

/** Every record of this kind made through the CRI. */
export function criRecords(deps: CriDeps, kind: 'sandbox' | 'container'): ContainerRecord[] {
  const rows = deps.containers.list({ all: true, size: false, filters: { label: [`${KIND_LABEL}=${kind}`] } });
  const out: ContainerRecord[] = [];
  for (const r of rows) {
    try { out.push(deps.containers.record(String(r.Id))); } catch { /* removed meanwhile */ }
  }
  return out;
}

/** The record of a CRI object by id (or unique prefix); NotFoundError when absent or not the CRI's. */
export function criRecord(deps: CriDeps, kind: 'sandbox' | 'container', id: string): ContainerRecord {
  const what = kind === 'sandbox' ? 'pod sandbox' : 'container';
  if (!id) throw new NotFoundError(`${what} id is empty`);
  let rec: ContainerRecord;
  try {
    rec = deps.containers.record(id);
  } catch {
    throw new NotFoundError(`${what} "${id}" not found`);
  }
  if (criKind(rec) !== kind) throw new NotFoundError(`${what} "${id}" not found`);
  return rec;
}

/** Null instead of NotFoundError (idempotent stop/remove). */
export function findCriRecord(deps: CriDeps, kind: 'sandbox' | 'container', id: string): ContainerRecord | undefined {
  try { return criRecord(deps, kind, id); } catch (err) { if (err instanceof NotFoundError) return undefined; throw err; }
}
