/**
 * Persisted state of the bridge driver: small JSON files, each written atomically
 * (write to a temp file, rename), so a daemon crash never leaves a torn record. No fsync on
 * purpose: it costs milliseconds per container start, and what it would protect against (power
 * loss) also destroys every network namespace, so the records are moot after a reboot anyway.
 *
 * On-disk layout (under the `stateDir` given to the driver):
 *   networks/<network-id>.json     NetworkRecord: the network, its IP allocations, DNS port
 *   sandboxes/<container-id>.json  SandboxRecord: netns path, endpoints, published ports
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint, NetworkInfo, PortBinding } from '../contract.ts';

export interface NetworkRecord extends NetworkInfo {
  /** ip → container id. The gateway is never in here. */
  allocations: Record<string, string>;
  /** Last address handed out (round-robin start). */
  lastIp: string;
  /** UDP/TCP port the embedded DNS listens on at the gateway address (user networks). */
  dnsPort?: number;
  /** IPv4 addresses never handed out (`AuxiliaryAddresses`). */
  reserved?: string[];
  /** IPv6 (networks with enableIPv6): ip → container id, last address handed out, reserved. */
  allocations6?: Record<string, string>;
  lastIp6?: string;
  reserved6?: string[];
}

export interface SandboxRecord {
  containerId: string;
  nsPath: string;
  endpoints: Endpoint[];
  /** Published ports with the container address each was DNATed to. */
  ports: (PortBinding & { containerIp: string })[];
  /** True once the in-netns 127.0.0.11 redirect for the embedded DNS is installed. */
  dnsRedirect?: boolean;
  /** The endpoint address the redirect's SNAT uses (records before it: unknown). */
  dnsVia?: string;
  /** `--dns` servers: the embedded DNS forwards this container's queries to them. */
  dnsServers?: string[];
}

export class StateDir {
  /** `onCorrupt`: told about a record that cannot be read (it is set aside as `<name>.corrupt`). */
  constructor(readonly root: string, private readonly onCorrupt: (file: string, err: Error) => void = () => {}) {
    fs.mkdirSync(path.join(root, 'networks'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(root, 'sandboxes'), { recursive: true, mode: 0o700 });
  }

  saveNetwork(n: NetworkRecord): void {
    writeAtomic(path.join(this.root, 'networks', `${n.id}.json`), n);
  }

  deleteNetwork(id: string): void {
    fs.rmSync(path.join(this.root, 'networks', `${id}.json`), { force: true });
  }

  loadNetworks(): NetworkRecord[] {
    return readAll<NetworkRecord>(path.join(this.root, 'networks'), this.onCorrupt);
  }

  saveSandbox(s: SandboxRecord): void {
    writeAtomic(path.join(this.root, 'sandboxes', `${s.containerId}.json`), s);
  }

  deleteSandbox(id: string): void {
    fs.rmSync(path.join(this.root, 'sandboxes', `${id}.json`), { force: true });
  }

  loadSandboxes(): SandboxRecord[] {
    return readAll<SandboxRecord>(path.join(this.root, 'sandboxes'), this.onCorrupt);
  }
}

function writeAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function readAll<T>(dir: string, onCorrupt: (file: string, err: Error) => void): T[] {
  const out: T[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    try {
      out.push(JSON.parse(fs.readFileSync(file, 'utf8')) as T);
    } catch (err) {
      // Torn temp files never end in .json: this record is corrupt. It is skipped, reported and
      // kept aside (not re-read at every start, not lost).
      if (!(err instanceof SyntaxError)) throw err;
      try { fs.renameSync(file, `${file}.corrupt`); } catch (e) { onCorrupt(file, e as Error); }
      onCorrupt(file, err);
    }
  }
  return out;
}
