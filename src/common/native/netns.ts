/**
 * Switching the daemon's main thread into another network namespace and back, for the few
 * calls that must run there (socket(2), unshare(CLONE_NEWNET)): the bridge driver's netns
 * setup and CRI's dial into a pod. Callers keep everything between leaving and
 * `returnToOwnNetns` synchronous, so no JavaScript ever runs in the other namespace; if
 * returning fails the process aborts rather than go on in the wrong namespace.
 */
import fs from 'node:fs';
import { libcOrNull, type Libc } from './libc.ts';

export const CLONE_NEWNET = 0x40000000;

let ownNetFd = -1;

/**
 * libc, with the namespace this thread is in now held open to come back to; null when koffi,
 * libc or /proc/thread-self/ns/net is unavailable. Call it before leaving (callers call it at
 * start-up, to load koffi then).
 */
export function netnsLibc(): Libc | null {
  const c = libcOrNull();
  if (!c) return null;
  if (ownNetFd < 0) {
    try {
      ownNetFd = fs.openSync('/proc/thread-self/ns/net', 'r');
    } catch {
      return null;
    }
  }
  return c;
}

/** setns() back to the namespace `netnsLibc()` found; aborts the process when that fails. */
export function returnToOwnNetns(c: Libc): void {
  if (c.setns(ownNetFd, CLONE_NEWNET) !== 0) {
    process.stderr.write(`fatal: cannot return to wharfd's network namespace (errno ${c.errno()})\n`);
    process.abort();
  }
}
