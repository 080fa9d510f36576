/**
 * The end-of-session report kubelet's remotecommand protocols put on the `error` stream:
 * v4 (`v4.channel.k8s.io`, `v5.channel.k8s.io`) a JSON metav1.Status whose NonZeroExitCode
 * reason carries the exit code as an `ExitCode` cause; v1–v3 only a failure's message, as text.
 */

export interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

export const success = (): Status => ({ metadata: {}, status: 'Success' });

export function nonZeroExit(code: number): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function internalError(message: string): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/** The bytes to write on the error stream for `protocol`; empty when nothing is to be sent. */
export function encodeStatus(protocol: string, s: Status): Buffer {
  if (protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io') return Buffer.from(JSON.stringify(s));
  return s.status === 'Success' ? Buffer.alloc(0) : Buffer.from(s.message ?? 'error');
}
