/**
 * Pod networks from CNI plugins, as containerd and CRI-O do it: the first network config in
 * the config dir (`/etc/cni/net.d`, lexical order; `.conflist`, `.conf` or `.json`) is run
 * plugin by plugin (CNI spec: ADD in order with each result passed on as `prevResult`, DEL in
 * reverse) against the sandbox's network namespace, with kubelet's `K8S_POD_*` arguments and
 * the pod's port mappings as the `portMappings` capability. Each pod's result is kept in
 * `<stateDir>/<sandbox id>.json` (its IPs, and what DEL needs after a daemon restart).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../common/errors.ts';
import type { PodNetworkProvider, PortMapping } from './deps.ts';

interface PluginConf { type: string; capabilities?: Record<string, boolean>; [k: string]: unknown }
interface NetworkList { cniVersion: string; name: string; plugins: PluginConf[] }
interface Saved { list: NetworkList; netns: string; results: unknown[]; ips: string[]; args: string }

export interface CniOptions { confDir: string; binDirs: string[]; stateDir: string }

type PodMeta = { name: string; namespace: string; uid: string; portMappings: PortMapping[] };

export class CniNetwork implements PodNetworkProvider {
  readonly name = 'cni';

  constructor(private readonly o: CniOptions) {}

  /** The network config in use, or undefined when the dir has none (pods then use wharf's bridge). */
  config(): NetworkList | undefined {
    let files: string[];
    try {
      files = fs.readdirSync(this.o.confDir).filter((f) => /\.(conflist|conf|json)$/.test(f)).sort();
    } catch {
      return undefined;
    }
    for (const f of files) {
      try {
        const raw = JSON.parse(fs.readFileSync(path.join(this.o.confDir, f), 'utf8')) as Record<string, unknown>;
        if (Array.isArray(raw.plugins)) return { cniVersion: String(raw.cniVersion ?? '0.4.0'), name: String(raw.name ?? f), plugins: raw.plugins as PluginConf[] };
        if (typeof raw.type === 'string') return { cniVersion: String(raw.cniVersion ?? '0.4.0'), name: String(raw.name ?? f), plugins: [raw as PluginConf] };
      } catch { /* not a network config: the next file */ }
    }
    return undefined;
  }

  configured(): boolean {
    return this.config() !== undefined;
  }

  ready(): { ok: boolean; reason?: string } {
    const list = this.config();
    if (!list) return { ok: false, reason: `no CNI network config in ${this.o.confDir}` };
    const missing = list.plugins.map((p) => p.type).filter((t) => !this.plugin(t));
    return missing.length ? { ok: false, reason: `CNI plugins not found in ${this.o.binDirs.join(':')}: ${missing.join(', ')}` } : { ok: true };
  }

  private plugin(type: string): string | undefined {
    if (!/^[A-Za-z0-9_.-]+$/.test(type)) return undefined;
    return this.o.binDirs.map((d) => path.join(d, type)).find((p) => fs.existsSync(p));
  }

  private exec(plugin: PluginConf, list: NetworkList, env: Record<string, string>, stdin: Record<string, unknown>): Promise<unknown> {
    const bin = this.plugin(plugin.type);
    if (!bin) return Promise.reject(new UnavailableError(`CNI plugin ${plugin.type} not found in ${this.o.binDirs.join(':')}`));
    return new Promise((resolve, reject) => {
      const child = execFile(bin, [], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: this.o.binDirs.join(':'), ...env }, timeout: 60_000, maxBuffer: 4 << 20 }, (err, stdout) => {
        let out: Record<string, unknown> | undefined;
        try { out = stdout.trim() ? JSON.parse(stdout) as Record<string, unknown> : undefined; } catch { /* not JSON */ }
        if (err || (out && 'code' in out && 'msg' in out)) {
          const msg = out?.msg ? `${String(out.msg)}${out.details ? `: ${String(out.details)}` : ''}` : (err as Error).message;
          reject(new UnavailableError(`CNI ${env.CNI_COMMAND} of network ${list.name} (plugin ${plugin.type}): ${msg}`));
          return;
        }
        resolve(out);
      });
      child.stdin?.end(JSON.stringify({ ...stdin, cniVersion: list.cniVersion, name: list.name }));
    });
  }

  private runtimeConfig(plugin: PluginConf, ports: PortMapping[]): Record<string, unknown> | undefined {
    if (!plugin.capabilities?.portMappings || !ports.length) return undefined;
    return { portMappings: ports.filter((p) => p.hostPort > 0).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol.toLowerCase(), hostIP: p.hostIp })) };
  }

  private statePath(podId: string): string {
    return path.join(this.o.stateDir, `${podId}.json`);
  }

  async setUp(podId: string, netns: string, meta: PodMeta): Promise<{ ips: string[] }> {
    const list = this.config();
    if (!list) throw new UnavailableError(`no CNI network config in ${this.o.confDir}`);
    const args = `IgnoreUnknown=1;K8S_POD_NAMESPACE=${meta.namespace};K8S_POD_NAME=${meta.name};K8S_POD_INFRA_CONTAINER_ID=${podId};K8S_POD_UID=${meta.uid}`;
    const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: podId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_ARGS: args };
    const results: unknown[] = [];
    let prev: unknown;
    const saved: Saved = { list, netns, results, ips: [], args };
    fs.mkdirSync(this.o.stateDir, { recursive: true, mode: 0o700 });
    try {
      for (const p of list.plugins) {
        const rc = this.runtimeConfig(p, meta.portMappings);
        prev = await this.exec(p, list, env, { ...p, ...(prev ? { prevResult: prev } : {}), ...(rc ? { runtimeConfig: rc } : {}) }) ?? prev;
        results.push(prev);
      }
    } catch (err) {
      // Undo what the plugins that ran did.
      fs.writeFileSync(this.statePath(podId), JSON.stringify(saved));
      await this.tearDown(podId, netns, meta).catch(() => undefined);
      throw err;
    }
    const ips = ((prev as { ips?: { address?: string }[] } | undefined)?.ips ?? []).map((i) => String(i.address ?? '').split('/')[0]!).filter(Boolean);
    saved.ips = ips;
    fs.writeFileSync(this.statePath(podId), JSON.stringify(saved));
    return { ips };
  }

  /** Pod IPs from the kept result ([] when the pod has no CNI network). */
  ips(podId: string): string[] {
    try { return (JSON.parse(fs.readFileSync(this.statePath(podId), 'utf8')) as Saved).ips; } catch { return []; }
  }

  has(podId: string): boolean {
    return fs.existsSync(this.statePath(podId));
  }

  /** DEL with the config the pod was set up with; the kept state goes once every plugin answered. */
  async tearDown(podId: string, netns: string, meta: PodMeta): Promise<void> {
    let saved: Saved;
    try { saved = JSON.parse(fs.readFileSync(this.statePath(podId), 'utf8')) as Saved; } catch { return; }
    const env = { CNI_COMMAND: 'DEL', CNI_CONTAINERID: podId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_ARGS: saved.args };
    const last = saved.results[saved.results.length - 1];
    for (const p of [...saved.list.plugins].reverse()) {
      const rc = this.runtimeConfig(p, meta.portMappings);
      await this.exec(p, saved.list, env, { ...p, ...(last ? { prevResult: last } : {}), ...(rc ? { runtimeConfig: rc } : {}) });
    }
    fs.rmSync(this.statePath(podId), { force: true });
  }
}
