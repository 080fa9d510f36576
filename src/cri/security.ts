/** Security settings shared by sandboxes and containers. */
import fs from 'node:fs';
import { InvalidArgumentError } from '../common/errors.ts';

export interface SeccompContext {
  privileged?: boolean;
  seccomp?: { profile_type?: string; localhost_ref?: string } | null;
  seccomp_profile_path?: string;
}

/**
 * The CRI's seccomp: no profile at all means unconfined (kubelet's default, unlike docker's);
 * RuntimeDefault (or the legacy `runtime/default`, `docker/default`) is wharf's default
 * profile; Localhost names a JSON profile file on the node (legacy: `localhost/<path>`).
 */
export function seccompOpt(sc: SeccompContext | null | undefined): string[] {
  if (sc?.privileged) return [];
  const type = sc?.seccomp?.profile_type;
  const legacy = sc?.seccomp_profile_path ?? '';
  let file: string | undefined;
  if (type === 'RuntimeDefault') return [];
  if (type === 'Localhost') file = sc?.seccomp?.localhost_ref;
  else if (type === 'Unconfined' || !legacy || legacy === 'unconfined') return ['seccomp=unconfined'];
  else if (legacy === 'runtime/default' || legacy === 'docker/default') return [];
  else if (legacy.startsWith('localhost/')) file = legacy.slice(10);
  else throw new InvalidArgumentError(`unknown seccomp profile "${legacy}": use runtime/default, unconfined or localhost/<path>`);
  if (!file) throw new InvalidArgumentError('a Localhost seccomp profile needs localhost_ref');
  try {
    return [`seccomp=${fs.readFileSync(file, 'utf8')}`];
  } catch (err) {
    throw new InvalidArgumentError(`cannot read the seccomp profile ${file}: ${(err as Error).message}`);
  }
}

