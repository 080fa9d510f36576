/** Facts about the host the daemon runs on, read once (os-release, kernel, cgroups). */
import fs from 'node:fs';
import os from 'node:os';
import { cgroupVersion } from './cgroups.ts';
import { onlyErrno } from './cleanups.ts';

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  ncpu: number;
  memTotal: number;
  hostname: string;
  architecture: string;
  /** "1" on a v1 or hybrid hierarchy, "2" on a pure unified one. */
  cgroupVersion: '1' | '2';
}

export function readHostFacts(): HostFacts {
  let pretty = 'Linux';
  let version = '';
  try {
    const rel = fs.readFileSync('/etc/os-release', 'utf8');
    pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(rel)?.[1] ?? pretty;
    version = /^VERSION_ID="?([^"\n]*)"?/m.exec(rel)?.[1] ?? '';
  } catch (err) { onlyErrno(err, 'ENOENT'); /* minimal host */ }
  return {
    kernelVersion: os.release(),
    operatingSystem: pretty,
    osVersion: version,
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
    hostname: os.hostname(),
    architecture: goArch(),
    cgroupVersion: cgroupVersion(),
  };
}

/** Node's arch names → Go's (what Docker reports). */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

/** `uname -m` style name (what docker info shows as Architecture). */
export function unameMachine(arch: string = process.arch): string {
  return ({ x64: 'x86_64', arm64: 'aarch64', ia32: 'i686' } as Record<string, string>)[arch] ?? arch;
}
