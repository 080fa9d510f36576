/**
 * What the CRI streaming server (index.ts) needs from the runtime: run a command in a
 * container, attach to a container's main process, and dial a port inside a pod sandbox's
 * network namespace. The server owns the wire protocol (SPDY/3.1 or WebSocket, kubelet's
 * `remotecommand` and `portforward` subprotocols); implementations only move bytes.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** A terminal size, as kubelet's resize stream sends it (columns, rows). */
export interface TerminalSize { width: number; height: number }

/**
 * The client's streams for one exec or attach. Absent members were not requested.
 * - `stdin` ends when the client closed its stdin (EOF), or when the session ended.
 * - `stdout`/`stderr`: write at their pace (`write()` false → wait for `drain`); the server
 *   ends them once `exec`/`attach` settled, so implementations should not end them.
 * - `resize` (only with `tty`) yields the terminal sizes the client sends, the first one
 *   usually right away; it finishes when the session ends.
 * - `signal` aborts when the client went away: an attach should detach then.
 */
export interface StreamIO {
  tty: boolean;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: AsyncIterable<TerminalSize>;
  signal?: AbortSignal;
}

export interface StreamRuntime {
  /** Runs `cmd` in the container; resolves with its exit code once it exited and its output was written. */
  exec(containerId: string, cmd: string[], io: StreamIO): Promise<number /* exit code */>;
  /** Attaches to the container's main process; resolves when it exited or the client detached. */
  attach(containerId: string, io: StreamIO): Promise<void>;
  /**
   * Connects `stream` to `localhost:port` inside the pod sandbox's network namespace and
   * copies both ways; resolves when both directions ended. Rejects (message shown to the
   * client on the error stream) when the port cannot be reached.
   */
  portForward(podSandboxId: string, port: number, stream: Duplex): Promise<void>;
}
