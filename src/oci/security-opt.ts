/**
 * `--security-opt` parsing (moby daemon/create.go parseSecurityOpt): no-new-privileges[:bool],
 * seccomp=unconfined|<profile json>, apparmor=… (accepted, ignored: no AppArmor here),
 * label=… / disable (accepted, ignored: no SELinux), writable-cgroups=bool. Anything else is 400.
 */
import { InvalidArgumentError } from '../common/errors.ts';
import { parseSeccompProfile, type SeccompProfile } from './seccomp.ts';

export interface SecurityOptions {
  /** undefined = not set by the container (the daemon default applies). */
  noNewPrivileges?: boolean;
  /** 'default' | 'unconfined' | a custom profile. */
  seccomp: 'default' | 'unconfined' | SeccompProfile;
  apparmor?: string;
  labels: string[];
  writableCgroups?: boolean;
}

function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}

/** Parses and validates; throws InvalidArgumentError(`invalid --security-opt 1: "bogus"`). */
export function parseSecurityOpt(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { seccomp: 'default', labels: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      out.labels.push('disable');
      continue;
    }
    let sep = opt.indexOf('=');
    if (sep < 0) sep = opt.indexOf(':');
    if (sep < 0) throw new InvalidArgumentError(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const k = opt.slice(0, sep);
    const v = opt.slice(sep + 1);
    switch (k) {
      case 'label':
        out.labels.push(v);
        break;
      case 'apparmor':
        out.apparmor = v;
        break;
      case 'seccomp':
        out.seccomp = v === 'unconfined' ? 'unconfined' : v === '' || v === 'builtin' ? 'default' : parseSeccompProfile(v);
        break;
      case 'no-new-privileges':
      case 'writable-cgroups': {
        const b = parseBool(v);
        if (b === undefined) throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        if (k === 'no-new-privileges') out.noNewPrivileges = b;
        else out.writableCgroups = b;
        break;
      }
      default:
        throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

/** Validation only (for create-time checks). */
export function validateSecurityOpt(opts: readonly string[] | null | undefined): void {
  parseSecurityOpt(opts);
}
