/**
 * One container in memory: its record, the things that serialise and wait on it, and the only
 * writer of its `State`. Every state change goes through `#change`: checked against the table
 * of state-machine.ts (an illegal one throws), the flags set from the status, the record
 * persisted once (save, or saveOrKeep for changes that have happened already and must survive
 * a full disk), then docker's events for it published.
 *
 *   started / startFailed / exited (→ exited or restarting) / restartEnded / paused / unpaused /
 *   restored (live-restore) / removing / removalFailed / removalResumed
 *
 * Health results land here too (`healthStarting`, `healthEnded`, `healthResult`): health.ts
 * computes them, this writes them.
 */
import { ConflictError } from '../../common/errors.ts';
import type { AttachStream, ExitInfo } from '../../drivers/runtime/contract.ts';
import type { ContainerRecord, ContainerState, HealthState } from './record.ts';
import { IllegalTransitionError, nextState, type Change as Kind, type StatePatch, type Status } from './state-machine.ts';

/** Where a container persists itself and publishes its events (ContainerRegistry). */
export interface ContainerHome {
  /** Saves the record; throws when it cannot (a full disk included). */
  save(c: Container): void;
  /** Saves, or keeps the change in memory when the disk is full (saved with the next write that works). */
  saveOrKeep(c: Container, what: string): void;
  readonly deps: { events: { publish(type: 'container', action: string, id: string, attributes?: Record<string, string>): unknown } };
}

/** How a change is persisted: `save` (the caller's operation fails with it) or `keep` (see ContainerHome). */
type Persist = { save: true } | { keep: string };

interface Change {
  persist: Persist;
  /** Events (action, extra attributes) published after the save, in order. */
  events?: [string, Record<string, string>?][];
  /** Record fields that go with the change, set before it is persisted. */
  also?: () => void;
  /** Which change of the table (state-machine.ts) this is. */
  why: Kind;
  /** The 409 a client gets when its request raced another change (instead of an internal error). */
  conflict?: string;
  /** A failed save undoes the change in memory (a start whose running state cannot be recorded did not happen). */
  undoUnsaved?: true;
}

function now(): string {
  return new Date().toISOString();
}

export class Container {
  /** Serialises start/stop/remove of one container. */
  queue: Promise<unknown> = Promise.resolve();
  exitWaiters: ((code: number) => void)[] = [];
  removeWaiters: (() => void)[] = [];
  /** Attach requests waiting for the next start (docker run -a): given the connected stream, or undefined. */
  pendingAttach: ((a: AttachStream | undefined) => void)[] = [];
  restartTimer?: NodeJS.Timeout;
  /** Set while a user stop/kill is in progress (no restart-policy restart). */
  stopping = false;
  /** Stops the log size watcher (max-size) of the current run. */
  stopLogWatch?: () => void;

  constructor(readonly rec: ContainerRecord, private readonly home: ContainerHome) {}

  get id(): string {
    return this.rec.Id;
  }

  get state(): ContainerState {
    return this.rec.State;
  }

  /** Docker's event attributes: image, name, labels (and `extra`). */
  attrs(extra: Record<string, string> = {}): Record<string, string> {
    return { image: this.rec.Config.Image, name: this.rec.Name.slice(1), ...this.rec.Config.Labels, ...extra };
  }

  /** Persists a change of the record's other fields (name, networks, resources…). */
  save(): void {
    this.home.save(this);
  }

  saveOrKeep(what: string): void {
    this.home.saveOrKeep(this, what);
  }

  /** The one place `State` is written. */
  #write(next: ContainerState): void {
    (this.rec as { State: ContainerState }).State = next;
  }

  #change(to: Status, patch: StatePatch, c: Change): void {
    let next: ContainerState;
    try {
      next = nextState(this.rec.Id, this.rec.State, c.why, to, patch);
    } catch (err) {
      if (err instanceof IllegalTransitionError && c.conflict) throw new ConflictError(c.conflict);
      throw err;
    }
    const before = this.rec.State;
    this.#write(next);
    c.also?.();
    if ('save' in c.persist) {
      try {
        this.home.save(this);
      } catch (err) {
        if (c.undoUnsaved) this.#write({ ...before, Health: this.rec.State.Health });
        throw err;
      }
    } else this.home.saveOrKeep(this, c.persist.keep);
    for (const [action, extra] of c.events ?? []) this.home.deps.events.publish('container', action, this.rec.Id, this.attrs(extra));
  }

  /** The process runs: `start` event. `also` runs before the save (the health monitor's reset). */
  started(pid: number, also?: () => void): void {
    this.#change('running', { Pid: pid, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: now() }, {
      persist: { save: true }, undoUnsaved: true, events: [['start']], why: 'start',
      conflict: `container ${this.rec.Id} is marked for removal and cannot be started`,
      also: () => {
        this.rec.HasBeenStarted = true;
        this.rec.ManuallyStopped = false;
        this.stopping = false;
        also?.();
      },
    });
  }

  /**
   * A start that failed before the process ran: `exited` (with FinishedAt) when it ran before
   * or a restart tried it, else still `created`; no event (docker publishes none).
   */
  startFailed(exitCode: number, error: string, asExited: boolean): void {
    const to = asExited ? 'exited' : 'created';
    this.#change(to, { Pid: 0, ExitCode: exitCode, Error: error, ...(asExited ? { FinishedAt: now() } : {}) }, { persist: { save: true }, why: 'startFailed' });
  }

  /**
   * The process exited: `oom` (when it was) and `die` events; `restarting` (RestartCount counted
   * now, as docker does) when its restart policy restarts it. A full disk must not lose the exit.
   */
  exited(info: ExitInfo, restart: boolean): void {
    const events: [string, Record<string, string>?][] = info.oomKilled ? [['oom']] : [];
    events.push(['die', { exitCode: String(info.exitCode) }]);
    this.#change(restart ? 'restarting' : 'exited', { Pid: 0, ExitCode: info.exitCode, OOMKilled: info.oomKilled, FinishedAt: info.exitedAt.toISOString() }, {
      persist: { keep: 'the exit' }, events, why: 'exit',
      also: () => { if (restart) this.rec.RestartCount++; },
    });
  }

  /** A restart-policy backoff ended without a restart: stop/kill/rm (`manual`), or a daemon start. */
  restartEnded(manual: boolean): void {
    this.#change('exited', {}, { persist: { save: true }, why: 'restartEnded', also: () => { if (manual) this.rec.ManuallyStopped = true; } });
  }

  paused(): void {
    this.#change('paused', {}, { persist: { save: true }, events: [['pause']], why: 'pause', conflict: `Container ${this.rec.Id} is not running` });
  }

  /** `also` runs before the save (the health monitor's resume). */
  unpaused(also?: () => void): void {
    this.#change('running', {}, {
      persist: { save: true }, events: [['unpause']], why: 'unpause', conflict: `Container ${this.rec.Id} is not paused`,
      also: () => { delete this.rec.CommitPause; also?.(); },
    });
  }

  /** Live-restore found the process (running, or frozen): its pid; no event. */
  restored(pid: number, paused: boolean): void {
    this.#change(paused ? 'paused' : 'running', { Pid: pid || this.rec.State.Pid }, { persist: { save: true }, why: 'restore', also: () => { delete this.rec.CommitPause; } });
  }

  /**
   * `rm` begins (saved first: a daemon killed from here on finishes the removal at its next
   * start); on a full disk the mark stays in memory, the removal itself frees space. Returns the
   * status to go back to if the removal fails.
   */
  removing(volumes: boolean): Status {
    const before = this.rec.State.Status;
    this.#change('removing', {}, {
      persist: { keep: 'the start of its removal' }, why: 'remove',
      conflict: `removal of container ${this.rec.Id} is already in progress`,
      also: () => { this.rec.Removing = { volumes }; },
    });
    return before;
  }

  /** The removal failed: the container is back as it was. */
  removalFailed(before: Status): void {
    this.#change(before, {}, { persist: { save: true }, why: 'removeFailed', also: () => { delete this.rec.Removing; } });
  }

  /** Daemon start: a removal a killed daemon cut short is taken up again (rm sets `removing` anew). */
  removalResumed(): void {
    this.#change(this.rec.State.Running ? 'running' : 'exited', {}, { persist: { keep: 'the end of an interrupted removal' }, why: 'removeResumed', also: () => { delete this.rec.Removing; } });
  }

  /** A health monitor starts: `starting` (streak 0, Log kept) when `fresh` or new; saved with the change that started it. */
  healthStarting(fresh: boolean): void {
    const h = this.rec.State.Health;
    if (!fresh && h) return;
    this.#write({ ...this.rec.State, Health: { Status: 'starting', FailingStreak: 0, Log: h?.Log ?? [] } });
  }

  /** The monitor ended (stop, pause): Status reads unhealthy, as docker's; saved with that change. */
  healthEnded(): void {
    const h = this.rec.State.Health;
    if (h) this.#write({ ...this.rec.State, Health: { ...h, Status: 'unhealthy' } });
  }

  /** A probe's outcome (health.ts computed it): saved; a new Status is a `health_status: …` event. */
  healthResult(next: HealthState): void {
    const old = this.rec.State.Health?.Status;
    this.#write({ ...this.rec.State, Health: next });
    this.home.save(this);
    if (next.Status !== old) this.home.deps.events.publish('container', `health_status: ${next.Status}`, this.rec.Id, this.attrs());
  }
}
