/**
 * docker's JSON progress messages (pkg/jsonmessage): `{status, id, progressDetail, progress}`,
 * emitted as plain objects the API streams unchanged. `progress` is docker's bar text
 * (`[=====>    ]  1.23MB/4.56MB`); the CLI redraws from progressDetail on a terminal.
 */
import { progressBar } from '../../api/types/json-progress.ts';

export interface ProgressEvent {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: unknown;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (event: ProgressEvent) => void;

export function statusEvent(id: string, status: string): ProgressEvent {
  return { status, progressDetail: {}, id };
}

export function progressEvent(id: string, status: string, current: number, total?: number): ProgressEvent {
  return { status, progressDetail: total ? { current, total } : { current }, progress: progressBar(current, total), id };
}

export function errorEvent(err: unknown): ProgressEvent {
  const message = err instanceof Error ? err.message : String(err);
  return { errorDetail: { message }, error: message };
}

/** 12-hex short id of a digest, as docker shows layer ids. */
export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * Emits byte progress without flooding: every 1% (at least 32 KiB) and at the end.
 * Deterministic (no timers).
 */
export function throttledProgress(sink: ProgressSink, id: string, status: string): (current: number, total?: number) => void {
  let last = -1;
  return (current, total) => {
    const step = Math.max(32 << 10, total ? total / 100 : 512 << 10);
    if (current - last >= step || current === total) {
      last = current;
      sink(progressEvent(id, status, current, total));
    }
  };
}
