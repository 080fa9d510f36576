/**
 * The container state machine as data: which `State.Status` may follow which, and the flags
 * (`Running`, `Paused`, `Restarting`, `Dead`) each status implies. Pure: `container.ts` applies
 * it to a record, persists and publishes.
 *
 *   created ──start──▶ running ⇄ paused (pause/unpause)
 *      ▲                  │ exit / stop / kill          restarting = exited under a restart
 *      │                  ▼                             policy, waiting for its restart
 *      └── failed start ─ exited ──policy──▶ restarting ──start──▶ running
 *   any ──rm──▶ removing ──(rm failed)──▶ back;   removing ⇄ dead (never set by wharf yet)
 *
 * `removing` overlays the state it came from: its flags stay as they were (a container whose
 * stop timed out is removed while `Running`), and a failed removal goes back to that status.
 */
import { WharfError } from '../../common/errors.ts';
import type { ContainerState } from './record.ts';

export type Status = ContainerState['Status'];

export const STATUSES: readonly Status[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

/** What may follow each status (a status may follow itself only where listed). */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  // A failed start leaves a container that never ran `created` (its exit code and error set),
  // or `exited` when a restart (policy or `docker restart`) tried it.
  created: ['running', 'created', 'exited', 'removing'],
  // running → running: live-restore re-finding the process (its pid).
  running: ['running', 'paused', 'exited', 'restarting', 'removing'],
  paused: ['paused', 'running', 'exited', 'restarting', 'removing'],
  // restarting → exited: stop/kill/rm during the backoff, a failed policy start, daemon start.
  restarting: ['running', 'exited', 'removing'],
  // exited → created: a failed user start of a container that never ran (a failed policy start
  // made it `exited`).
  exited: ['running', 'exited', 'created', 'removing'],
  // Back to the status it came from (a failed rm; daemon start, which finishes the removal).
  removing: ['created', 'running', 'paused', 'restarting', 'exited', 'dead'],
  dead: ['removing'],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** A transition the table refuses: a bug in the engine (500), unless the caller turns it into a 409. */
export class IllegalTransitionError extends WharfError {
  override readonly code = 'WHARF_ILLEGAL_STATE_TRANSITION';
  constructor(readonly id: string, readonly from: Status, readonly to: Status, why: string) {
    super(`internal error: container ${id}: illegal state transition ${from} → ${to} (${why})`);
  }
}

type Flags = Pick<ContainerState, 'Running' | 'Paused' | 'Restarting' | 'Dead'>;

/** The flags a status implies; `removing` keeps those of the status it overlays. */
export function flagsOf(status: Status, before: Flags): Flags {
  switch (status) {
    case 'running': return { Running: true, Paused: false, Restarting: false, Dead: false };
    case 'paused': return { Running: true, Paused: true, Restarting: false, Dead: false };
    case 'restarting': return { Running: true, Paused: false, Restarting: true, Dead: false };
    case 'dead': return { Running: false, Paused: false, Restarting: false, Dead: true };
    case 'removing': return { Running: before.Running, Paused: before.Paused, Restarting: before.Restarting, Dead: before.Dead };
    default: return { Running: false, Paused: false, Restarting: false, Dead: false };
  }
}

/** Whether Status and the flags agree (every status but `removing`, which overlays another). */
export function isConsistent(s: ContainerState): boolean {
  if (s.Status === 'removing') return !(s.Paused && !s.Running) && !(s.Restarting && !s.Running);
  const f = flagsOf(s.Status, s);
  return f.Running === s.Running && f.Paused === s.Paused && f.Restarting === s.Restarting && f.Dead === s.Dead;
}

/** The fields a transition may set besides the status (and the flags it implies). */
export type StatePatch = Partial<Pick<ContainerState, 'Pid' | 'ExitCode' | 'Error' | 'OOMKilled' | 'StartedAt' | 'FinishedAt'>>;

/** The state after `to` (checked against the table); `cur` is left as it was. */
export function nextState(id: string, cur: ContainerState, to: Status, patch: StatePatch, why: string): ContainerState {
  if (!canTransition(cur.Status, to)) throw new IllegalTransitionError(id, cur.Status, to, why);
  return { ...cur, ...patch, Status: to, ...flagsOf(to, cur) };
}
