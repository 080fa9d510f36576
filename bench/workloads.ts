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
