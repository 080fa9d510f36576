/**
 * The floor under `docker exec`: `runc exec C true` run by hand on the peer's own container
 * (runc's --root of that peer), so an engine's exec figure reads as floor + its own cost.
 */
import { spawnSync } from 'node:child_process';
import type { Peer } from './peers.ts';
import { median, timeRuns } from './measure.ts';
import { ensureBusybox } from './workloads.ts';

function docker(peer: Peer, args: string[]): string {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` } });
  if (r.status !== 0) throw new Error(`${peer.name}: docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString().trim();
}

export async function runcExecFloor(peer: Peer, n: number): Promise<number> {
  if (!peer.runcRoot) throw new Error(`${peer.name}: runc root unknown`);
  ensureBusybox(peer);
  const name = `bench-floor-${process.pid}`;
  const id = docker(peer, ['run', '-d', '--network', 'none', '--name', name, 'bb', 'sleep', '600']);
  try {
    return median(await timeRuns(n, async () => {
      const r = spawnSync('runc', ['--root', peer.runcRoot!, 'exec', id, 'true']);
      if (r.status !== 0) throw new Error(`runc exec: ${r.stderr}`);
    }));
  } finally {
    docker(peer, ['rm', '-f', name]);
  }
}
