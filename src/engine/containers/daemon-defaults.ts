/**
 * The daemon's defaults for what a create request leaves out, as docker's daemon.json gives
 * them: `default-runtime` (the runtime is then looked up by name among the registered ones:
 * docker's 400 `Unknown runtime specified X`) and `default-shm-size`. `dns`/`dns-search` are
 * applied when the container's /etc files are written (networking.ts).
 *
 *   applyDaemonDefaults(hostConfig, body, deps)   // in createContainer, after normaliseCreate
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import type { ContainersDeps } from './deps.ts';
import type { HostConfig } from './record.ts';

export function applyDaemonDefaults(hc: HostConfig, body: unknown, deps: ContainersDeps): void {
  const raw = (body && typeof body === 'object' ? (body as { HostConfig?: unknown }).HostConfig : undefined) as Record<string, unknown> | null | undefined;
  // A client that sends no Runtime gets the daemon's default (normaliseCreate wrote `runc` there).
  if (!raw?.Runtime && deps.defaultRuntime) hc.Runtime = deps.defaultRuntime;
  if (deps.runtimes && !deps.runtimes.has(hc.Runtime)) throw new InvalidArgumentError(`Unknown runtime specified ${hc.Runtime}`);
  // ShmSize 0 or absent: the daemon's `default-shm-size` (moby: `if ShmSize == 0 { ShmSize = config.ShmSize }`).
  if (!raw?.ShmSize && deps.defaultShmSize) hc.ShmSize = deps.defaultShmSize;
}
