/** Timing helpers: repeated runs, medians, and the side-by-side table with ratios. */
import http from 'node:http';
import { spawn } from 'node:child_process';
import type { Peer } from './peers.ts';

export async function timeRuns(n: number, fn: () => Promise<unknown>, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const agent = new http.Agent({ keepAlive: true });

export function apiCall(peer: Peer, method: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = http.request({ socketPath: peer.sock, method, path, agent }, (res) => { res.resume(); res.on('end', () => resolve()); });
    r.on('error', reject);
    r.end();
  });
}

export function cliCall(peer: Peer, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(peer.cli.cmd, [...peer.cli.args, ...args], { env: { ...process.env, ...peer.cli.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${peer.name} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

export interface Figure { name: string; unit: string; wharf: number; docker?: number; podman?: number }

export function printTable(figs: Figure[]): void {
  const withPodman = figs.some((f) => f.podman !== undefined);
  const cell = (v: number | undefined, unit: string) => (v === undefined ? '-' : `${v.toFixed(2)} ${unit}`);
  const ratio = (v: number | undefined, d: number | undefined) => (v !== undefined && d ? (v / d).toFixed(2) : '-');
  const rows = [['figure', 'wharf', 'docker', 'wharf/docker', ...(withPodman ? ['podman', 'podman/docker'] : [])]];
  for (const f of figs) {
    rows.push([f.name, cell(f.wharf, f.unit), cell(f.docker, f.unit), ratio(f.wharf, f.docker), ...(withPodman ? [cell(f.podman, f.unit), ratio(f.podman, f.docker)] : [])]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('   '));
}
