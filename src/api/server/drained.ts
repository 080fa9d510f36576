/** Waiting for a client to take what was written: the back-pressure of every streamed answer. */
import type { Writable } from 'node:stream';

/** Resolves when `w` has no more data waiting to drain, or it ended, or the client is gone. */
export function drained(w: Writable, isClosed: () => boolean = () => false): Promise<void> {
  if (isClosed() || !w.writableNeedDrain || w.writableEnded || w.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => { w.off('drain', done); w.off('close', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
  });
}
