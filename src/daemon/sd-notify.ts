/**
 * systemd's sd_notify protocol for `Type=notify` units: state lines (`READY=1`,
 * `RELOADING=1`, `STOPPING=1`) sent as one datagram to the unix socket named by
 * $NOTIFY_SOCKET. Without that variable (not started by systemd) it does nothing; a failed
 * send is logged and otherwise ignored, as a notification must never stop the daemon.
 */
import { sendUnixDatagram } from '../common/native/libc.ts';

export type Notify = (state: string) => void;

/**
 * The notifier for `env`'s $NOTIFY_SOCKET. The variable is taken out of `env` (sd_notify's
 * unset_environment), so the daemon's children, conmon and runc, do not act on it for the
 * containers.
 */
export function sdNotifier(env: NodeJS.ProcessEnv, warn: (msg: string) => void): Notify {
  const socket = env.NOTIFY_SOCKET;
  delete env.NOTIFY_SOCKET;
  if (!socket) return () => {};
  return (state) => {
    try {
      sendUnixDatagram(socket, Buffer.from(state));
    } catch (err) {
      warn(`sd_notify ${JSON.stringify(state)}: ${(err as Error).message}`);
    }
  };
}

/** CLOCK_MONOTONIC in microseconds, which systemd wants beside RELOADING=1. */
export function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}
