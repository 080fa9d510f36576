/**
 * Shared setup of the networking integration tests: a daemon on its own bridge (`wt<4 hex>`),
 * iptables chain prefix and random 10.x.y.0/24 subnet, so test files can run in parallel with
 * each other and with other tests; busybox imported; and teardown that removes everything the
 * daemon left in the kernel for live-restore (bridge, chains) after the test removed its
 * containers and networks through the API.
 *
 *   const h = await startNetDaemon();
 *   await h.d.docker(['run', '-d', '-p', `${port}:80`, 'busybox', 'httpd', '-f']);
 *   assert.deepEqual(h.leftovers(), []);     // per-container rules and veths
 *   await h.close();
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { busyboxRootfsTar } from '../helpers/busybox-rootfs.ts';
import { RuleSet } from '../../src/drivers/network/bridge/iptables.ts';

export interface NetHarness {
  d: TestDaemon;
  bridge: string;
  /** iptables chain prefix the daemon derives from the bridge name. */
  prefix: string;
  /** Default bridge gateway (a host address), e.g. 10.123.45.1 */
  gateway: string;
  /** A fresh random /24 for a user network: 10.<a>.<b>.0/24 */
  subnet(): string;
  /** Docker CLI; throws with its stderr when it fails. */
  ok(args: string[], timeoutMs?: number): Promise<string>;
  /** Rules mentioning container addresses/user bridges, and veths still on our bridges. */
  leftovers(): string[];
  close(): Promise<void>;
}

const usedSubnets = new Set<string>();

function randomSubnet(): string {
  for (;;) {
    const a = 64 + crypto.randomInt(180);
    const b = crypto.randomInt(256);
    const s = `10.${a}.${b}`;
    if (usedSubnets.has(s)) continue;
    // skip anything the host already routes
    const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
    if (routes.includes(`10.${a}.${b}.`)) continue;
    usedSubnets.add(s);
    return s;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A run of `n` consecutive free host ports. */
export async function freePortRange(n: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + crypto.randomInt(30000);
    const servers: net.Server[] = [];
    let okAll = true;
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      const ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(base + i, '0.0.0.0', () => r(true)); });
      if (!ok) { okAll = false; break; }
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (okAll) return base;
  }
  throw new Error('no free port range');
}

export async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/** Polls `fn` until it returns true (the state it waits for is set by an async exit path). */
export async function until(fn: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function iptablesLines(prefix: string): string[] {
  return execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((l) => l.includes(prefix));
}

export async function startNetDaemon(extraArgs: string[] = []): Promise<NetHarness> {
  const tag = crypto.randomBytes(2).toString('hex');
  const bridge = `wt${tag}`;
  const prefix = bridge.toUpperCase();
  const net24 = randomSubnet();
  const gateway = `${net24}.1`;
  const cfgDir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'wharf-nettest-'));
  const configFile = path.join(cfgDir, 'daemon.json');
  fs.writeFileSync(configFile, '{}');
  const d = await startDaemon({ configFile, args: ['--bridge', bridge, '--bip', `${gateway}/24`, ...extraArgs] });
  const tar = await busyboxRootfsTar();
  const imp = await d.api('POST', '/images/create?fromSrc=-&repo=busybox&tag=latest', fs.readFileSync(tar), { 'Content-Type': 'application/x-tar' });
  if (imp.status !== 200) throw new Error(`import busybox: ${imp.status} ${imp.body}`);

  const ok = async (args: string[], timeoutMs?: number) => {
    const r = await d.docker(args, { timeoutMs });
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} → ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  };

  const h: NetHarness = {
    d, bridge, prefix, gateway,
    subnet: () => `${randomSubnet()}.0/24`,
    ok,
    leftovers() {
      const out: string[] = [];
      const lines = iptablesLines(prefix);
      // Static per-bridge rules stay (live-restore); per-container ones DNAT to a container.
      for (const l of lines) if (l.includes('--to-destination')) out.push(`rule: ${l}`);
      const ours = new Set([bridge]);
      for (const l of lines) for (const m of l.matchAll(/br-[0-9a-f]{12}/g)) ours.add(m[0]);
      for (const b of ours) {
        let ports = '';
        try { ports = execFileSync('ip', ['-o', 'link', 'show', 'master', b], { encoding: 'utf8' }); } catch { continue; }
        for (const l of ports.split('\n').filter(Boolean)) out.push(`veth on ${b}: ${l.split(': ')[1]}`);
      }
      return out;
    },
    async close() {
      try {
        const ids = (await d.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
        if (ids.length) await d.docker(['rm', '-f', ...ids], { timeoutMs: 120_000 });
        const nets = await d.api('GET', '/networks');
        for (const n of (nets.json ?? []) as { Name: string; Id: string }[]) {
          if (!['bridge', 'host', 'none'].includes(n.Name)) await d.api('DELETE', `/networks/${n.Id}`);
        }
      } finally {
        await d.stop();
        try { execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' }); } catch { /* gone */ }
        await new RuleSet(prefix).uninstall().catch(() => undefined);
        await new RuleSet(prefix, 6).uninstall().catch(() => undefined);
        fs.rmSync(cfgDir, { recursive: true, force: true });
      }
    },
  };
  return h;
}
