/**
 * Healthchecks (Dockerfile HEALTHCHECK / `Config.Healthcheck`), with docker 20.10's behaviour:
 *
 *   start ──interval──▶ probe ──(ends)──interval──▶ probe …   (a stop/pause ends the loop)
 *
 * - A probe is an exec in the container (ExecManager.probe: exec_create/exec_start/exec_die
 *   events, the container's user and working dir). `CMD` runs Test[1:] as argv, `CMD-SHELL`
 *   runs it through the container's Shell or `/bin/sh -c`; `NONE` (or no Test) means no monitor.
 * - The next probe starts `interval` after the previous one ended. A probe still running after
 *   `timeout` is recorded as exit -1 "Health check exceeded timeout (…)", killed, and waited for.
 * - Exit 0 → healthy (streak reset). Any other exit → FailingStreak+1 and unhealthy at `retries`,
 *   except while still "starting" within `start-period` of StartedAt (then not counted).
 * - State.Health keeps the last 5 results (output capped at 4096 bytes, "..." marks the cut);
 *   a change of Status is a `health_status: …` event. Start resets Status to starting and the
 *   streak (Log kept); stopping or pausing the container ends the monitor and reports
 *   unhealthy (docker's "for compatibility"); live-restore and unpause resume it as it was.
 */
import type { Live } from './service.ts';
import type { HealthConfig, HealthResult, HealthState } from './record.ts';
import { goDuration } from '../../common/human.ts';

export const HEALTH_DEFAULTS = { interval: 30e9, timeout: 30e9, startPeriod: 0, retries: 3 };
const MAX_LOG = 5;
export const MAX_PROBE_OUTPUT = 4096;

/** What the monitor needs to run one probe (ExecManager implements it). */
export interface ProbeRunner {
  /** Runs cmd in the container; kill() ends it (SIGKILL). Rejects when the exec cannot start. */
  probe(containerId: string, cmd: string[], maxOutput: number): { result: Promise<{ exitCode: number; output: string }>; kill(): void };
}

/** Docker's merge at create: the container's fields win, zero/empty ones come from the image. */
export function mergeHealthcheck(own: HealthConfig | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (!own) return image ? { ...image } : undefined;
  if (!image) return own;
  const out: HealthConfig = { ...own };
  if (!out.Test?.length && image.Test?.length) out.Test = image.Test;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) if (!out[k] && image[k]) out[k] = image[k];
  return out;
}

/** The argv a probe runs, or undefined when there is no probe (none, NONE, empty, unknown type). */
export function probeCommand(hc: HealthConfig | undefined, shell: unknown): string[] | undefined {
  const test = hc?.Test;
  if (!test?.length) return undefined;
  if (test[0] === 'CMD') return test.length > 1 ? test.slice(1) : undefined;
  if (test[0] === 'CMD-SHELL') {
    const sh = Array.isArray(shell) && shell.length ? (shell as string[]) : ['/bin/sh', '-c'];
    return [...sh, ...test.slice(1)];
  }
  return undefined;
}

interface Running {
  stopped: boolean;
  timer?: NodeJS.Timeout;
  kill?: () => void;
}

/** One monitor per container that has a probe; keyed by container id. */
export class HealthMonitors {
  private readonly running = new Map<string, Running>();
  constructor(private readonly runner: ProbeRunner) {}

  /** After a start (fresh: Status starting, streak 0, Log kept) or a restore/unpause (as it was). */
  start(l: Live, fresh: boolean): void {
    this.stop(l, false);
    const rec = l.rec;
    const cmd = probeCommand(rec.Config.Healthcheck, rec.Config.Shell);
    if (!cmd) return;
    l.healthStarting(fresh);
    const run: Running = { stopped: false };
    this.running.set(rec.Id, run);
    this.schedule(l, run, cmd);
  }

  /** Ends the monitor (container stopped or paused); its Status then reads unhealthy, like docker's. */
  stop(l: Live, markUnhealthy = true): void {
    const run = this.running.get(l.rec.Id);
    if (!run) return;
    this.running.delete(l.rec.Id);
    run.stopped = true;
    if (run.timer) clearTimeout(run.timer);
    run.kill?.();
    if (markUnhealthy) l.healthEnded();
  }

  /** Number of containers being probed (info, tests). */
  get size(): number {
    return this.running.size;
  }

  private schedule(l: Live, run: Running, cmd: string[]): void {
    const interval = (l.rec.Config.Healthcheck?.Interval || HEALTH_DEFAULTS.interval) / 1e6;
    run.timer = setTimeout(() => { run.timer = undefined; void this.probeOnce(l, run, cmd); }, interval);
    run.timer.unref();
  }

  private async probeOnce(l: Live, run: Running, cmd: string[]): Promise<void> {
    if (run.stopped) return;
    const timeoutNs = l.rec.Config.Healthcheck?.Timeout || HEALTH_DEFAULTS.timeout;
    const start = new Date();
    let timedOut = false;
    let result: { exitCode: number; output: string };
    try {
      const p = this.runner.probe(l.rec.Id, cmd, MAX_PROBE_OUTPUT);
      run.kill = p.kill;
      const timer = setTimeout(() => {
        timedOut = true;
        if (!run.stopped) this.record(l, { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: -1, Output: `Health check exceeded timeout (${goDuration(timeoutNs)})` });
        p.kill();
      }, timeoutNs / 1e6);
      try {
        result = await p.result;
      } finally {
        clearTimeout(timer);
        run.kill = undefined;
      }
    } catch (err) {
      result = { exitCode: -1, output: (err as Error).message };
    }
    if (run.stopped) return;
    if (!timedOut) this.record(l, { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: result.exitCode, Output: result.output });
    this.schedule(l, run, cmd);
  }

  private record(l: Live, r: HealthResult): void {
    const h = l.rec.State.Health;
    if (h) l.healthResult(nextHealth(h, r, l.rec.Config.Healthcheck ?? {}, l.rec.State.StartedAt));
  }
}

/** The health after one probe's result `r` (docker 20.10's rules, see the top of this file). */
export function nextHealth(h: HealthState, r: HealthResult, hc: HealthConfig, startedAt: string): HealthState {
  const Log = [...h.Log.slice(-(MAX_LOG - 1)), r];
  if (r.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  const startPeriodMs = (hc.StartPeriod || HEALTH_DEFAULTS.startPeriod) / 1e6;
  const inStartPeriod = h.Status === 'starting' && Date.parse(r.Start) - Date.parse(startedAt) < startPeriodMs;
  if (inStartPeriod) return { ...h, Log };
  const FailingStreak = h.FailingStreak + 1;
  const unhealthy = FailingStreak >= ((hc.Retries ?? 0) > 0 ? hc.Retries! : HEALTH_DEFAULTS.retries);
  return { Status: unhealthy ? 'unhealthy' : h.Status, FailingStreak, Log };
}
