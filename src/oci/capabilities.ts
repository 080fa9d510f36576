/**
 * Linux capabilities: Docker's default set (moby oci/caps/defaults.go) and the
 * `--cap-add` / `--cap-drop` resolution rules (moby oci/caps/utils.go TweakCapabilities).
 */
import fs from 'node:fs';
import { InvalidArgumentError } from '../common/errors.ts';
import { onlyErrno } from '../common/cleanups.ts';

/** Every capability the kernel knows, in bit order (CAP_CHOWN = bit 0 … CAP_CHECKPOINT_RESTORE = 40). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's 14 default capabilities: CapEff = 00000000a80425fb. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** The capabilities the daemon itself holds (CapBnd of /proc/self/status); all known ones if unreadable. */
export function hostCapabilities(): string[] {
  let bnd: bigint | undefined;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) bnd = BigInt(`0x${m[1]}`);
  } catch (err) { onlyErrno(err, 'ENOENT'); /* not Linux */ }
  if (bnd === undefined) return ALL_CAPABILITIES.slice();
  const mask = bnd;
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** `net_admin`, `NET_ADMIN`, `CAP_NET_ADMIN` → `CAP_NET_ADMIN`; `all` → `ALL`. */
export function normalizeCapName(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

function validate(list: string[], what: 'CapAdd' | 'CapDrop'): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const n = normalizeCapName(raw);
    if (n !== 'ALL' && !ALL_CAPABILITIES.includes(n)) {
      throw new InvalidArgumentError(`invalid ${what}: unknown capability: "${n}"`);
    }
    out.push(n);
  }
  return out;
}

/** Throws InvalidArgumentError (400) for an unknown capability in either list. */
export function validateCapabilities(capAdd: string[] = [], capDrop: string[] = []): void {
  validate(capAdd, 'CapAdd');
  validate(capDrop, 'CapDrop');
}

/**
 * The container's capability set. Order of rules (as moby): privileged → all; `ALL` in add
 * starts from all; `ALL` in drop starts from none (then explicit adds apply); otherwise the
 * defaults, minus drops, plus adds. An add wins over a drop of the same capability.
 */
export function resolveCapabilities(capAdd: string[] = [], capDrop: string[] = [], privileged = false): string[] {
  if (privileged) return hostCapabilities();
  const add = validate(capAdd, 'CapAdd');
  const drop = validate(capDrop, 'CapDrop');
  if (add.includes('ALL')) {
    const all = hostCapabilities();
    return drop.includes('ALL') ? all : all.filter((c) => !drop.includes(c) || add.includes(c));
  }
  let caps: string[] = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c) || add.includes(c));
  for (const c of add) if (!caps.includes(c)) caps.push(c);
  caps = ALL_CAPABILITIES.filter((c) => caps.includes(c));
  return caps;
}

/** The hex mask /proc/PID/status shows for a capability set (CapEff: 00000000a80425fb). */
export function capabilityMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const bit = ALL_CAPABILITIES.indexOf(c);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}
