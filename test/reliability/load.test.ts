/**
 * Load (docs/reliability.md "Load"): many concurrent API clients (ps, inspect, logs,
 * create+start+rm, exec, events, followed events/logs left after 300 ms; keep-alive connections on the unix socket) against a real
 * wharfd. No request that should succeed fails, and the daemon's RSS and open fds come back
 * near where they started once the load is over.
 * Fast mode: 50 clients for 10 s; soak (WHARF_SOAK=1): 200 clients for 60 s.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { formatLoad, LOAD_KINDS, runLoad } from '../helpers/load.ts';
import { scaled, SOAK } from './mode.ts';

const CLIENTS = scaled({ fast: 50, soak: 200 });
const SECONDS = scaled({ fast: 10, soak: 60 });
const RSS_MARGIN_MB = 25;
const FD_MARGIN = 20;

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

function rssMB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}
const fds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`${CLIENTS} concurrent clients for ${SECONDS} s: nothing fails, RSS and fds come back`, { timeout: (SECONDS + (SOAK ? 600 : 180)) * 1000 }, async () => {
  const pid = d.proc.pid!;
  const run = await d.api('POST', '/containers/create?name=load-target', { Image: 'bb', Cmd: ['sh', '-c', 'echo ready; exec sleep 3600'], HostConfig: { NetworkMode: 'none' } });
  assert.equal(run.status, 201, run.body);
  const target = run.json.Id as string;
  assert.equal((await d.api('POST', `/containers/${target}/start`)).status, 204);

  // Warm up every code path once so lazily loaded modules count in the baseline.
  const warm = await runLoad({ sock: d.sock, clients: LOAD_KINDS.length, seconds: 1, image: 'bb', target, prefix: 'load-warm' });
  assert.equal([...warm.failures].length, 0, formatLoad(warm));
  await sleep(2000);
  const before = { rss: rssMB(pid), fds: fds(pid) };
  const peak = { ...before };
  const sample = () => {
    try {
      peak.rss = Math.max(peak.rss, rssMB(pid));
      peak.fds = Math.max(peak.fds, fds(pid));
    } catch { /* the daemon died: the requests say so */ }
  };

  const r = await runLoad({ sock: d.sock, clients: CLIENTS, seconds: SECONDS, image: 'bb', target, requestTimeoutMs: SOAK ? 120_000 : 90_000, onTick: sample });
  sample();
  const report = formatLoad(r);
  console.log(`load: ${CLIENTS} clients, ${(r.elapsedMs / 1000).toFixed(1)} s\n${report}`);

  for (const k of LOAD_KINDS) assert.ok(r.byKind[k].ok > 0, `no ${k} request was served:\n${report}`);
  assert.equal(LOAD_KINDS.reduce((n, k) => n + r.byKind[k].failed, 0), 0, `requests failed:\n${report}`);

  // Every container the load created is gone; the target still runs.
  const left = await d.api('GET', '/containers/json?all=1');
  assert.deepEqual(left.json.map((c: { Names: string[] }) => c.Names[0]), ['/load-target']);
  assert.equal((await d.api('GET', `/containers/${target}/json`)).json.State.Running, true);

  // RSS and fds settle back near the baseline (V8 gives memory back after a GC, which idle time brings).
  let after = { rss: rssMB(pid), fds: fds(pid) };
  const deadline = Date.now() + (SOAK ? 60_000 : 30_000);
  while ((after.rss > before.rss + RSS_MARGIN_MB || after.fds > before.fds + FD_MARGIN) && Date.now() < deadline) {
    await sleep(1000);
    after = { rss: rssMB(pid), fds: fds(pid) };
  }
  console.log(`load: RSS ${before.rss.toFixed(1)} → peak ${peak.rss.toFixed(1)} → ${after.rss.toFixed(1)} MB; fds ${before.fds} → peak ${peak.fds} → ${after.fds}`);
  assert.ok(after.fds <= before.fds + FD_MARGIN, `fds ${before.fds} before, ${after.fds} after (peak ${peak.fds}): ${fs.readdirSync(`/proc/${pid}/fd`).map((f) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${f}`); } catch { return '?'; } }).join(' ')}`);
  assert.ok(after.rss <= before.rss + RSS_MARGIN_MB, `RSS ${before.rss.toFixed(1)} MB before, ${after.rss.toFixed(1)} MB after (peak ${peak.rss.toFixed(1)})`);

  // Followed streams the clients left (events, logs -f) left no listener behind.
  assert.doesNotMatch(d.logs(), /MaxListenersExceeded|Unhandled|uncaught/i);

  // The daemon still answers a plain request promptly.
  assert.equal((await d.api('GET', '/_ping')).status, 200);
});
