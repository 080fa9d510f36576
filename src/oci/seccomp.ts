/**
 * Seccomp: a moby-format profile (default.json or `--security-opt seccomp=<json>`) → the OCI
 * `linux.seccomp` object runc loads. Rules are selected for the container's capabilities and
 * the host architecture (`includes`/`excludes` of caps, arches and minKernel), as moby's
 * profiles/seccomp/seccomp_linux.go does.
 */
import os from 'node:os';
import { InvalidArgumentError } from '../common/errors.ts';
import { goArch } from '../common/host.ts';
import type { SeccompArg, SeccompSpec, SeccompSyscall } from './spec-types.ts';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default-profile.ts';

interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: Filter;
  excludes?: Filter;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  flags?: string[];
  syscalls?: ProfileSyscall[];
}

/** Go arch (runtime.GOARCH) → libseccomp arch name. */
const GO_TO_SECCOMP: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM',
  ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64',
  mips64: 'SCMP_ARCH_MIPS64', mips64le: 'SCMP_ARCH_MIPSEL64', loong64: 'SCMP_ARCH_LOONGARCH64',
};

function kernelAtLeast(min: string, release: string): boolean {
  const parse = (v: string) => v.split(/[.-]/).slice(0, 2).map((x) => parseInt(x, 10) || 0);
  const [a, b] = parse(release);
  const [c, d] = parse(min);
  return a! > c! || (a === c && b! >= d!);
}

function selected(rule: ProfileSyscall, caps: readonly string[], arch: string, kernel: string): boolean {
  const inc = rule.includes ?? {};
  const exc = rule.excludes ?? {};
  if (inc.arches?.length && !inc.arches.includes(arch)) return false;
  if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) return false;
  if (inc.minKernel && !kernelAtLeast(inc.minKernel, kernel)) return false;
  if (exc.arches?.length && exc.arches.includes(arch)) return false;
  if (exc.caps?.length && exc.caps.some((c) => caps.includes(c))) return false;
  return true;
}

export interface SeccompOptions {
  /** Go architecture name; defaults to the host's. */
  arch?: string;
  /** Kernel release (uname -r); defaults to the host's. */
  kernel?: string;
}

/** The OCI seccomp object for a container with capabilities `caps`. */
export function seccompFromProfile(profile: SeccompProfile, caps: readonly string[], opts: SeccompOptions = {}): SeccompSpec {
  const arch = opts.arch ?? goArch();
  const kernel = opts.kernel ?? os.release();
  const spec: SeccompSpec = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) spec.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new InvalidArgumentError("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  if (profile.archMap?.length) {
    const native = GO_TO_SECCOMP[arch];
    spec.architectures = [];
    for (const m of profile.archMap) {
      if (m.architecture === native) spec.architectures.push(m.architecture, ...(m.subArchitectures ?? []));
    }
  } else if (profile.architectures) {
    spec.architectures = profile.architectures.slice();
  }
  if (profile.flags?.length) spec.flags = profile.flags.slice();
  spec.syscalls = [];
  for (const rule of profile.syscalls ?? []) {
    if (rule.name && rule.names?.length) {
      throw new InvalidArgumentError("use either 'name' or 'names'");
    }
    if (!selected(rule, caps, arch, kernel)) continue;
    const out: SeccompSyscall = { names: rule.names?.length ? rule.names.slice() : [rule.name ?? ''], action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args?.length) out.args = rule.args.map((a) => ({ ...a }));
    spec.syscalls.push(out);
  }
  return spec;
}

/** Docker's default profile for a container with capabilities `caps`. */
export function defaultSeccomp(caps: readonly string[], opts: SeccompOptions = {}): SeccompSpec {
  return seccompFromProfile(DEFAULT_SECCOMP_PROFILE, caps, opts);
}

/** Parses `--security-opt seccomp=<json>` content; a malformed profile is a 400. */
export function parseSeccompProfile(json: string): SeccompProfile {
  let p: unknown;
  try {
    p = JSON.parse(json);
  } catch (err) {
    throw new InvalidArgumentError(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (!p || typeof p !== 'object' || typeof (p as SeccompProfile).defaultAction !== 'string') {
    throw new InvalidArgumentError('Decoding seccomp profile failed: defaultAction is required');
  }
  return p as SeccompProfile;
}
