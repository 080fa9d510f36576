/**
 * A load generator for a docker-compatible daemon: N concurrent API clients on its unix socket
 * (node http, keep-alive agents) for a given time, each looping over one kind of request —
 * ps, inspect, logs, create+start+rm, exec, events, and followed streams (events, logs -f)
 * that the client leaves after 300 ms. Every answer that is not the expected
 * status is a failure recorded with its message. Used by test/reliability/load.test.ts and
 * by the bench (bench/workloads.ts), so both drive the same load.
 *
 *   const r = await runLoad({ sock, clients: 50, seconds: 10, image: 'bb', target: id });
 */
import http from 'node:http';

export const LOAD_KINDS = ['ps', 'inspect', 'logs', 'lifecycle', 'exec', 'events', 'follow'] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];

export interface LoadOptions {
  sock: string;
  clients: number;
  seconds: number;
  /** The image of the created containers (busybox). */
  image: string;
  /** A running container that inspect, logs and exec address. */
  target: string;
  /** Per-request limit (ms); an answer later than this is a failure. */
  requestTimeoutMs?: number;
  /** Name prefix of the containers the lifecycle clients create. */
  prefix?: string;
  /** Called now and then during the load (e.g. to sample the daemon's RSS). */
  onTick?: () => void;
}

export interface KindStats { ok: number; failed: number; ms: number[] }

export interface LoadResult {
  byKind: Record<LoadKind, KindStats>;
  /** Latency of create + start of one container (ms). */
  createStart: number[];
  /** Up to 50 distinct failure messages, with their counts. */
  failures: Map<string, number>;
  elapsedMs: number;
}

interface Answer { status: number; body: string }

class Failure extends Error {}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const timeoutMs = o.requestTimeoutMs ?? 60_000;
  const prefix = o.prefix ?? `load-${process.pid}`;
  // One keep-alive pool per kind: each client holds at most one socket at a time.
  const agents = Object.fromEntries(LOAD_KINDS.map((k) => [k, new http.Agent({ keepAlive: true, maxSockets: o.clients })])) as Record<LoadKind, http.Agent>;
  const byKind = Object.fromEntries(LOAD_KINDS.map((k) => [k, { ok: 0, failed: 0, ms: [] }])) as unknown as Record<LoadKind, KindStats>;
  const createStart: number[] = [];
  const failures = new Map<string, number>();
  const fail = (kind: LoadKind, msg: string) => {
    byKind[kind].failed++;
    const key = `${kind}: ${msg.slice(0, 300)}`;
    if (failures.has(key) || failures.size < 50) failures.set(key, (failures.get(key) ?? 0) + 1);
  };

  function request(kind: LoadKind, method: string, p: string, body?: unknown): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {};
      const req = http.request({ socketPath: o.sock, method, path: `/v1.41${p}`, headers, agent: agents[kind] }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A followed stream: the answer's head must come with `status`; the client hangs up 300 ms later. */
  function followAndLeave(p: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: o.sock, method: 'GET', path: `/v1.41${p}`, agent: agents.follow }, (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => reject(new Failure(`GET ${p.replace(/\?.*/, '')}: ${res.statusCode} ${body.trim()}`)));
          return;
        }
        res.resume();
        setTimeout(() => { req.destroy(); resolve(); }, 300);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(new Failure(`GET ${p.replace(/\?.*/, '')}: ${err.message}`)));
      req.end();
    });
  }

  async function expect(kind: LoadKind, status: number, method: string, p: string, body?: unknown): Promise<Answer> {
    let a: Answer;
    try {
      a = await request(kind, method, p, body);
    } catch (err) {
      throw new Failure(`${method} ${p.replace(/\?.*/, '')}: ${(err as Error).message}`);
    }
    if (a.status !== status) throw new Failure(`${method} ${p.replace(/\?.*/, '')}: ${a.status} ${a.body.trim()}`);
    return a;
  }

  const t = () => performance.now();
  let seq = 0;
  let follows = 0;
  const ops: Record<LoadKind, () => Promise<void>> = {
    ps: async () => {
      const a = await expect('ps', 200, 'GET', '/containers/json?all=1');
      if (!Array.isArray(JSON.parse(a.body))) throw new Failure('GET /containers/json: not a list');
    },
    inspect: async () => {
      const a = await expect('inspect', 200, 'GET', `/containers/${o.target}/json`);
      if (!JSON.parse(a.body).State?.Running) throw new Failure('inspect: the target is not running');
    },
    logs: async () => { await expect('logs', 200, 'GET', `/containers/${o.target}/logs?stdout=1&stderr=1&tail=5`); },
    lifecycle: async () => {
      const name = `${prefix}-${seq++}`;
      const t0 = t();
      const c = await expect('lifecycle', 201, 'POST', `/containers/create?name=${name}`, { Image: o.image, Cmd: ['sleep', '30'], HostConfig: { NetworkMode: 'none' } });
      const id = JSON.parse(c.body).Id as string;
      try {
        await expect('lifecycle', 204, 'POST', `/containers/${id}/start`);
        createStart.push(t() - t0);
      } finally {
        await expect('lifecycle', 204, 'DELETE', `/containers/${id}?force=1`);
      }
    },
    exec: async () => {
      const c = await expect('exec', 201, 'POST', `/containers/${o.target}/exec`, { Cmd: ['echo', 'hi'], AttachStdout: true, AttachStderr: true });
      const id = JSON.parse(c.body).Id as string;
      const s = await expect('exec', 200, 'POST', `/exec/${id}/start`, { Detach: false, Tty: false });
      if (!s.body.includes('hi')) throw new Failure(`exec start: output ${JSON.stringify(s.body)}`);
      const i = await expect('exec', 200, 'GET', `/exec/${id}/json`);
      const ei = JSON.parse(i.body);
      if (ei.Running || ei.ExitCode !== 0) throw new Failure(`exec inspect: Running=${ei.Running} ExitCode=${ei.ExitCode}`);
    },
    events: async () => {
      const now = Date.now() / 1000;
      await expect('events', 200, 'GET', `/events?since=${(now - 1).toFixed(3)}&until=${(now + 0.5).toFixed(3)}`);
    },
    follow: () => followAndLeave(follows++ % 2 ? '/events' : `/containers/${o.target}/logs?stdout=1&follow=1&tail=1`),
  };

  const start = t();
  const end = start + o.seconds * 1000;
  const tick = setInterval(() => o.onTick?.(), 250);
  try {
    await Promise.all(Array.from({ length: o.clients }, async (_, i) => {
      const kind = LOAD_KINDS[i % LOAD_KINDS.length]!;
      while (t() < end) {
        const t0 = t();
        try {
          await ops[kind]();
          byKind[kind].ok++;
          byKind[kind].ms.push(t() - t0);
        } catch (err) {
          fail(kind, err instanceof Failure ? err.message : String((err as Error).stack ?? err));
        }
      }
    }));
  } finally {
    clearInterval(tick);
    for (const a of Object.values(agents)) a.destroy();
  }
  return { byKind, createStart, failures, elapsedMs: t() - start };
}

/** One line per kind: served, failed, p50/p99 (ms). */
export function formatLoad(r: LoadResult): string {
  const lines = LOAD_KINDS.map((k) => {
    const s = r.byKind[k];
    return `${k.padEnd(10)} ok ${String(s.ok).padStart(6)}  failed ${String(s.failed).padStart(4)}  p50 ${percentile(s.ms, 50).toFixed(1)} ms  p99 ${percentile(s.ms, 99).toFixed(1)} ms  max ${percentile(s.ms, 100).toFixed(1)} ms`;
  });
  lines.push(`create+start p50 ${percentile(r.createStart, 50).toFixed(1)} ms  p99 ${percentile(r.createStart, 99).toFixed(1)} ms  max ${percentile(r.createStart, 100).toFixed(1)} ms`);
  for (const [m, n] of r.failures) lines.push(`  ${n}× ${m}`);
  return lines.join('\n');
}
