/**
 * Daemon workloads measured through the same docker-compatible API on both peers (the docker
 * CLI drives both when it is installed, so only the daemons differ).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Peer } from './peers.ts';
import { REPO } from './peers.ts';
import { median, timeRuns } from './measure.ts';

function docker(peer: Peer, args: string[], input?: Buffer | string): string {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` }, input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${peer.name}: docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

const prepared = new Set<string>();
let rootfsTar: string | undefined;

/** A busybox image `bb` on the peer (imported once). */
export function ensureBusybox(peer: Peer): void {
  if (prepared.has(peer.sock)) return;
  rootfsTar ??= (() => {
    const f = path.join(os.tmpdir(), `wharf-bench-bb-${process.pid}.tar`);
    execFileSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), f]);
    process.once('exit', () => fs.rmSync(f, { force: true }));
    return f;
  })();
  docker(peer, ['import', '-c', 'CMD ["sh"]', rootfsTar, 'bb']);
  prepared.add(peer.sock);
}

export async function runRmLatency(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  return median(await timeRuns(n, async () => docker(peer, ['run', '--rm', '--network', 'none', 'bb', 'true'])));
}

export async function execLatency(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  const name = `bench-exec-${process.pid}`;
  docker(peer, ['run', '-d', '--network', 'none', '--name', name, 'bb', 'sleep', '600']);
  try {
    return median(await timeRuns(n, async () => docker(peer, ['exec', name, 'true'])));
  } finally {
    docker(peer, ['rm', '-f', name]);
  }
}

/** A container prints 100 MB, then `docker logs` reads it back (seconds). */
export async function logs100MB(peer: Peer): Promise<number> {
  ensureBusybox(peer);
  const name = `bench-logs-${process.pid}`;
  docker(peer, ['run', '--name', name, '--network', 'none', 'bb', 'sh', '-c', 'yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c 104857600']);
  try {
    return median(await timeRuns(3, async () => {
      const r = spawnSync('bash', ['-c', `docker logs ${name} | wc -c`], { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` } });
      if (Number(r.stdout.toString().trim()) < 100_000_000) throw new Error(`${peer.name}: short logs ${r.stdout}`);
    }, 0)) / 1000;
  } finally {
    docker(peer, ['rm', '-f', name]);
  }
}

/** `docker images` with N tagged images (ms). */
export async function imagesWith(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  for (let i = 0; i < n; i++) docker(peer, ['tag', 'bb', `bench-img-${i}:t`]);
  try {
    return median(await timeRuns(10, async () => docker(peer, ['images'])));
  } finally {
    for (let i = 0; i < n; i += 50) docker(peer, ['rmi', ...Array.from({ length: Math.min(50, n - i) }, (_, k) => `bench-img-${i + k}:t`)]);
  }
}

/** save then load of an image of 4 layers × 75 MB of random data (seconds each). */
export async function saveLoad300MB(peer: Peer): Promise<{ save: number; load: number }> {
  ensureBusybox(peer);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-sl-'));
  try {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb\n' + [1, 2, 3, 4].map((i) => `COPY f${i} /f${i}\n`).join(''));
    for (const i of [1, 2, 3, 4]) execFileSync('head', ['-c', String(75 * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', fs.openSync(path.join(dir, `f${i}`), 'w'), 'ignore'] });
    spawnSync('docker', ['build', '-q', '-t', 'bench-big', dir], { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}`, DOCKER_BUILDKIT: '0' } });
    const tar = path.join(dir, 'img.tar');
    const save = median(await timeRuns(3, async () => docker(peer, ['save', '-o', tar, 'bench-big']), 0)) / 1000;
    docker(peer, ['rmi', 'bench-big']);
    const load = median(await timeRuns(3, async () => { docker(peer, ['load', '-i', tar]); }, 0)) / 1000;
    docker(peer, ['rmi', 'bench-big']);
    return { save, load };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `stats --no-stream` with 50 running containers (ms). */
export async function stats50(peer: Peer): Promise<number> {
  ensureBusybox(peer);
  const names = Array.from({ length: 50 }, (_, i) => `bench-st-${process.pid}-${i}`);
  for (const n of names) docker(peer, ['run', '-d', '--network', 'none', '--name', n, 'bb', 'sleep', '600']);
  try {
    return median(await timeRuns(5, async () => docker(peer, ['stats', '--no-stream']), 1));
  } finally {
    docker(peer, ['rm', '-f', ...names]);
  }
}

/** `cp` of a 100 MB directory into a container and back out (seconds, in + out). */
export async function cp100MB(peer: Peer): Promise<number> {
  ensureBusybox(peer);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-cp-'));
  const name = `bench-cp-${process.pid}`;
  try {
    fs.mkdirSync(path.join(dir, 'src'));
    for (let i = 0; i < 10; i++) execFileSync('head', ['-c', String(10 * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', fs.openSync(path.join(dir, 'src', `f${i}`), 'w'), 'ignore'] });
    docker(peer, ['run', '-d', '--network', 'none', '--name', name, 'bb', 'sleep', '600']);
    return median(await timeRuns(3, async () => {
      docker(peer, ['cp', path.join(dir, 'src'), `${name}:/data`]);
      docker(peer, ['cp', `${name}:/data`, path.join(dir, 'out')]);
      fs.rmSync(path.join(dir, 'out'), { recursive: true, force: true });
      docker(peer, ['exec', name, 'rm', '-rf', '/data']);
    }, 0)) / 1000;
  } finally {
    try { docker(peer, ['rm', '-f', name]); } catch { /* gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `run --rm bb true` on the default bridge network (ms). */
export async function runRmBridge(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  return median(await timeRuns(n, async () => docker(peer, ['run', '--rm', 'bb', 'true'])));
}

/** `run -d -p 0:80` of an httpd, then the first byte served on 127.0.0.1 (ms). */
export async function publishFirstByte(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  const http = await import('node:http');
  const get = (port: number) => new Promise<boolean>((resolve) => {
    const r = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => { res.resume(); resolve(true); });
    r.on('error', () => resolve(false));
    r.on('timeout', () => { r.destroy(); resolve(false); });
  });
  return median(await timeRuns(n, async () => {
    const id = docker(peer, ['run', '-d', '-p', '127.0.0.1:0:80', 'bb', 'sh', '-c', 'echo hi > /tmp/i.html; exec httpd -f -p 80 -h /tmp']).trim();
    const port = Number(docker(peer, ['port', id, '80/tcp']).trim().split(':').pop());
    const end = Date.now() + 10_000;
    while (!(await get(port)) && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
    docker(peer, ['rm', '-f', id]);
  }, 1));
}

/** create + start + rm -f of N containers, sequentially or `parallel` at a time (s). */
export async function createStartRm(peer: Peer, n: number, parallel: number): Promise<number> {
  ensureBusybox(peer);
  const { spawn } = await import('node:child_process');
  const one = (i: number) => new Promise<void>((resolve, reject) => {
    const p = spawn('bash', ['-c', `id=$(docker create --network none bb sleep 60) && docker start $id >/dev/null && docker rm -f $id >/dev/null`], { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` }, stdio: 'ignore' });
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`${peer.name}: create/start/rm ${i} failed`))));
  });
  const t = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => { while (next < n) await one(next++); }));
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Resident memory of the daemon (and its helpers) with N running containers (MB). */
export async function daemonRss(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  const names = Array.from({ length: n }, (_, i) => `bench-rss-${process.pid}-${i}`);
  for (const name of names) docker(peer, ['run', '-d', '--network', 'none', '--name', name, 'bb', 'sleep', '600']);
  try {
    const comm = peer.name === 'wharf' ? ['node'] : ['dockerd', 'containerd'];
    const out = execFileSync('ps', ['-eo', 'rss,comm,args']).toString().split('\n');
    let kb = 0;
    for (const line of out) {
      const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
      if (!m) continue;
      if (comm.includes(m[2]!) && m[3]!.includes(peer.sock.replace(/\/[^/]+$/, ''))) kb += Number(m[1]);
    }
    return kb / 1024;
  } finally {
    for (let i = 0; i < names.length; i += 25) docker(peer, ['rm', '-f', ...names.slice(i, i + 25)]);
  }
}

/** `ps -a` with N created containers (ms). */
export async function psWith(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(docker(peer, ['create', '--network', 'none', 'bb', 'true']).trim());
  try {
    return median(await timeRuns(10, async () => docker(peer, ['ps', '-a'])));
  } finally {
    for (let i = 0; i < ids.length; i += 50) docker(peer, ['rm', ...ids.slice(i, i + 50)]);
  }
}

/**
 * Memory per running container of its monitor (conmon; containerd-shim for docker), MB: RSS,
 * and PSS (shared pages such as libc's divided among the processes mapping them: what one
 * more container really costs).
 */
export async function monitorRss(peer: Peer, n: number): Promise<number> {
  return (await monitorMemory(peer, n)).rss;
}

export async function monitorMemory(peer: Peer, n: number): Promise<{ rss: number; pss: number }> {
  ensureBusybox(peer);
  const names = Array.from({ length: n }, (_, i) => `bench-mon-${process.pid}-${i}`);
  for (const name of names) docker(peer, ['run', '-d', '--network', 'none', '--name', name, 'bb', 'sleep', '600']);
  try {
    const comm = peer.name === 'wharf' ? 'conmon' : 'containerd-shim';
    const dir = peer.sock.replace(/\/[^/]+$/, '');
    let kb = 0;
    let pssKb = 0;
    let count = 0;
    for (const line of execFileSync('ps', ['-eo', 'pid,rss,comm,args']).toString().split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
      if (!m || !m[3]!.startsWith(comm) || !m[4]!.includes(dir)) continue;
      kb += Number(m[2]);
      count++;
      try {
        pssKb += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${m[1]}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch { /* exited */ }
    }
    return count ? { rss: kb / 1024 / n, pss: pssKb / 1024 / n } : { rss: 0, pss: 0 };
  } finally {
    for (let i = 0; i < names.length; i += 25) docker(peer, ['rm', '-f', ...names.slice(i, i + 25)]);
  }
}

/**
 * examples/compose-web with docker-compose 1.29: `up -d --build` until the web page answers,
 * then `down -v --rmi local` (s, median of n cold starts: build, network, volume, healthcheck gate).
 */
export async function composeUpExample(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  docker(peer, ['tag', 'bb', 'busybox:latest']);
  const dir = path.join(REPO, 'examples/compose-web');
  const http = await import('node:http');
  const net = await import('node:net');
  const port = await new Promise<number>((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
  const env = { ...process.env, DOCKER_HOST: `unix://${peer.sock}`, WEB_PORT: String(port), COMPOSE_PROJECT_NAME: `bench${process.pid}` };
  const compose = (args: string[]) => {
    const r = spawnSync('docker-compose', ['--ansi', 'never', ...args], { cwd: dir, env, maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${peer.name}: docker-compose ${args.join(' ')}: ${r.stderr}`);
  };
  const answers = () => new Promise<boolean>((resolve) => {
    const r = http.get({ host: '127.0.0.1', port, path: '/cgi-bin/hello', timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    r.on('error', () => resolve(false));
    r.on('timeout', () => { r.destroy(); resolve(false); });
  });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    compose(['up', '-d', '--build']);
    const end = Date.now() + 30_000;
    while (!(await answers()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    times.push((performance.now() - t0) / 1000);
    compose(['down', '-v', '--rmi', 'local']);
  }
  return median(times);
}

/** utime+stime (seconds) of the peer's daemon processes (wharfd; dockerd and containerd), from /proc/PID/stat. */
function daemonCpuSeconds(peer: Peer): number {
  const comm = peer.name === 'wharf' ? ['node'] : ['dockerd', 'containerd'];
  const root = peer.sock.replace(/\/[^/]+$/, '');
  const tck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  let ticks = 0;
  for (const line of execFileSync('ps', ['-eo', 'pid,comm,args']).toString().split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || !comm.includes(m[2]!) || !m[3]!.includes(root)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${m[1]}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* exited */ }
  }
  return ticks / tck;
}

/**
 * Daemon CPU (% of one core) while n containers run a healthcheck every second, over
 * `seconds`: only the daemon processes count (the probes' runc/conmon or shim are per exec).
 */
export async function healthProbeCpu(peer: Peer, n: number, seconds: number): Promise<number> {
  ensureBusybox(peer);
  const names = Array.from({ length: n }, (_, i) => `bench-hc-${process.pid}-${i}`);
  try {
    for (const name of names) docker(peer, ['run', '-d', '--network', 'none', '--name', name, '--health-cmd', 'true', '--health-interval', '1s', '--health-retries', '1', 'bb', 'sleep', '600']);
    // Every container has probed at least once: the loop is in its steady state.
    for (let i = 0; i < 60; i++) {
      const states = docker(peer, ['ps', '--filter', 'name=bench-hc-', '--filter', 'health=healthy', '-q']).trim().split('\n').filter(Boolean);
      if (states.length >= n) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const t0 = process.hrtime.bigint();
    const c0 = daemonCpuSeconds(peer);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const c1 = daemonCpuSeconds(peer);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    return ((c1 - c0) / wall) * 100;
  } finally {
    for (let i = 0; i < names.length; i += 25) docker(peer, ['rm', '-f', ...names.slice(i, i + 25)]);
  }
}

/**
 * The load of test/reliability/load.test.ts (concurrent ps, inspect, logs, create+start+rm,
 * exec and events clients on keep-alive connections) run once per peer; the figures of one
 * run (ms, and the count of failed requests) are read from it.
 */
export interface LoadFigures { psP50: number; psP99: number; createStartP50: number; createStartP99: number; failed: number; served: number }
const loadRuns = new Map<string, Promise<LoadFigures>>();

export function loadFigures(peer: Peer, clients: number, seconds: number): Promise<LoadFigures> {
  const key = `${peer.sock} ${clients} ${seconds}`;
  let run = loadRuns.get(key);
  if (!run) {
    run = (async () => {
      ensureBusybox(peer);
      const { runLoad, percentile, LOAD_KINDS } = await import('../test/helpers/load.ts');
      const name = `bench-load-${process.pid}`;
      const target = docker(peer, ['run', '-d', '--network', 'none', '--name', name, 'bb', 'sh', '-c', 'echo ready; exec sleep 3600']).trim();
      try {
        const r = await runLoad({ sock: peer.sock, clients, seconds, image: 'bb', target, prefix: `bench-load-${process.pid}-c`, requestTimeoutMs: 120_000 });
        const failed = LOAD_KINDS.reduce((n, k) => n + r.byKind[k].failed, 0);
        if (failed) console.error(`${peer.name}: ${failed} load requests failed: ${[...r.failures.keys()].slice(0, 5).join('; ')}`);
        return {
          psP50: percentile(r.byKind.ps.ms, 50), psP99: percentile(r.byKind.ps.ms, 99),
          createStartP50: percentile(r.createStart, 50), createStartP99: percentile(r.createStart, 99),
          failed, served: LOAD_KINDS.reduce((n, k) => n + r.byKind[k].ok, 0),
        };
      } finally {
        docker(peer, ['rm', '-f', name]);
      }
    })();
    loadRuns.set(key, run);
  }
  return run;
}
