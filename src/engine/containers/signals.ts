/** Signal names and numbers as docker accepts them (`SIGTERM`, `TERM`, `15`). */
import os from 'node:os';
import { InvalidArgumentError } from '../../common/errors.ts';

const BY_NAME = os.constants.signals as Record<string, number>;

export function parseSignal(v: string | number | undefined, dflt = 'SIGKILL'): number {
  if (v === undefined || v === '') return BY_NAME[dflt]!;
  if (typeof v === 'number' || /^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > 64) throw new InvalidArgumentError(`Invalid signal: ${v}`);
    return n;
  }
  const name = v.toUpperCase().startsWith('SIG') ? v.toUpperCase() : `SIG${v.toUpperCase()}`;
  const n = BY_NAME[name];
  if (n === undefined) throw new InvalidArgumentError(`Invalid signal: ${v}`);
  return n;
}
