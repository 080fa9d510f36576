/**
 * The container state machine as data: which change may take `State.Status` from where to where, and the flags
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

/** What changes a container's state: docker's operations and what the runtime tells. */
export type Change =
  | 'start' | 'startFailed' | 'exit' | 'restartEnded' | 'pause' | 'unpause' | 'restore'
  | 'remove' | 'removeFailed' | 'removeResumed';

const ALL_BUT_REMOVING: readonly Status[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead'];

/** Each change: the statuses it may start from and those it may lead to. */
export const TRANSITIONS: Readonly<Record<Change, { readonly from: readonly Status[]; readonly to: readonly Status[] }>> = {
  start: { from: ['created', 'exited', 'restarting'], to: ['running'] },
  // Before the process ran: `created` when it never ran, else (or when a restart tried it)
  // `exited`; a failed user start of a container a restart made `exited` without running
  // leaves it `created`.
  startFailed: { from: ['created', 'exited', 'restarting'], to: ['created', 'exited'] },
  // `restarting` when its restart policy restarts it. From `removing`: the process died while
  // the daemon was down in the middle of an rm.
  exit: { from: ['running', 'paused', 'removing'], to: ['exited', 'restarting'] },
  // A stop/kill/rm during the backoff, or a daemon start.
  restartEnded: { from: ['restarting'], to: ['exited'] },
  pause: { from: ['running'], to: ['paused'] },
  unpause: { from: ['paused'], to: ['running'] },
  // Live-restore found the process (its pid; a commit's pause thawed).
  restore: { from: ['running', 'paused', 'removing'], to: ['running', 'paused'] },
  remove: { from: ALL_BUT_REMOVING, to: ['removing'] },
  removeFailed: { from: ['removing'], to: ALL_BUT_REMOVING },
  // Daemon start: an rm a killed daemon cut short is taken up again.
  removeResumed: { from: ['removing'], to: ['running', 'exited'] },
};

export function canTransition(change: Change, from: Status, to: Status): boolean {
  const t = TRANSITIONS[change];
  return t.from.includes(from) && t.to.includes(to);
}

/** Every (from, to) pair some change allows. */
export function reachable(): [Status, Status][] {
  const out = new Set<string>();
  for (const t of Object.values(TRANSITIONS)) for (const a of t.from) for (const b of t.to) out.add(`${a} ${b}`);
  return [...out].map((k) => k.split(' ') as [Status, Status]);
}

/** A transition the table refuses: a bug in the engine (500), unless the caller turns it into a 409. */
export class IllegalTransitionError extends WharfError {
  override readonly code = 'WHARF_ILLEGAL_STATE_TRANSITION';
  constructor(readonly id: string, readonly from: Status, readonly to: Status, readonly change: Change) {
    super(`internal error: container ${id}: illegal state transition ${from} → ${to} (${change})`);
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
export function nextState(id: string, cur: ContainerState, change: Change, to: Status, patch: StatePatch): ContainerState {
  if (!canTransition(change, cur.Status, to)) throw new IllegalTransitionError(id, cur.Status, to, change);
  return { ...cur, ...patch, Status: to, ...flagsOf(to, cur) };
}
