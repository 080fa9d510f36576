/**
 * Classic builder workloads (`DOCKER_BUILDKIT=0 docker build`), sent by the same docker CLI
 * to each peer's socket so only the daemons differ. The context: 50 MiB in 5000 files of
 * random bytes (50 directories × 100 files × 10 KiB); the Dockerfile: FROM bb, COPY of the
 * whole context, then 5 RUN steps.
 *   warm: the same build again (6 of 6 steps from the cache), seconds.
 *   cold: `--no-cache` (COPY + 5 RUN run every time), seconds.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Peer } from './peers.ts';
import { median, timeRuns } from './measure.ts';
import { ensureBusybox } from './workloads.ts';

const DOCKERFILE = [
  'FROM bb',
  'COPY . /app',
  'RUN ls -R /app | wc -l > /count',
  'RUN echo built > /stamp',
  'RUN mkdir -p /data && cp /app/d00/f000 /data/first',
  'RUN du -s /app > /du',
  'RUN rm -f /stamp && touch /done',
  '',
].join('\n');

let contextDir: string | undefined;

/** The 50 MiB / 5000-file context (made once per bench run, shared by the peers). */
export function buildContext(): string {
  if (contextDir) return contextDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-build-'));
  for (let d = 0; d < 50; d++) {
    const sub = path.join(dir, `d${String(d).padStart(2, '0')}`);
    fs.mkdirSync(sub);
    for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(sub, `f${String(f).padStart(3, '0')}`), randomBytes(10 * 1024));
  }
  fs.writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
  fs.writeFileSync(path.join(dir, '.dockerignore'), 'Dockerfile\n.dockerignore\n');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  contextDir = dir;
  return dir;
}

function build(peer: Peer, args: string[]): string {
  const r = spawnSync('docker', ['build', ...args], {
    env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}`, DOCKER_BUILDKIT: '0' }, maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${peer.name}: docker build ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

function cacheHits(out: string): number {
  return (out.match(/Using cache/g) ?? []).length;
}

/** The same build again with every step cached (seconds). */
export async function buildWarm(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  const ctx = buildContext();
  build(peer, ['-t', 'bench-build', ctx]);
  try {
    return median(await timeRuns(n, async () => {
      const out = build(peer, ['-t', 'bench-build', ctx]);
      if (cacheHits(out) !== 6) throw new Error(`${peer.name}: expected 6 cached steps:\n${out}`);
    }, 1)) / 1000;
  } finally {
    spawnSync('docker', ['rmi', '-f', 'bench-build'], { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` } });
  }
}

/** `--no-cache`: COPY + 5 RUN every time (seconds). */
export async function buildCold(peer: Peer, n: number): Promise<number> {
  ensureBusybox(peer);
  const ctx = buildContext();
  try {
    return median(await timeRuns(n, async () => {
      const out = build(peer, ['--no-cache', '-t', 'bench-build-cold', ctx]);
      if (cacheHits(out) !== 0) throw new Error(`${peer.name}: --no-cache used the cache:\n${out}`);
    }, 1)) / 1000;
  } finally {
    spawnSync('docker', ['rmi', '-f', 'bench-build-cold'], { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` } });
  }
}
