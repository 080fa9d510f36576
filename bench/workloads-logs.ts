/**
 * Log writing: what the json-file path costs a container that prints a lot (wharf: conmon →
 * FIFO → log monitor → json-file; docker: containerd-shim → dockerd → json-file).
 */
import { spawnSync } from 'node:child_process';
import type { Peer } from './peers.ts';
import { median, timeRuns } from './measure.ts';
import { ensureBusybox } from './workloads.ts';

function cli(peer: Peer, args: string[]): string {
  const r = spawnSync(peer.cli.cmd, [...peer.cli.args, ...args], { env: { ...process.env, ...peer.cli.env } });
  if (r.status !== 0) throw new Error(`${peer.name}: ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

/** A detached container prints 100 MB into its json-file log: seconds from start until it exited. */
export async function logWrite100MB(peer: Peer, runs = 3): Promise<number> {
  ensureBusybox(peer);
  const name = `bench-logw-${process.pid}`;
  return median(await timeRuns(runs, async () => {
    cli(peer, ['create', '--name', name, '--network', 'none', '--log-driver', 'json-file', 'bb', 'sh', '-c', 'yes 012345678901234567890123456789012345678901234567890123456789012 | head -c 104857600']);
    try {
      cli(peer, ['start', name]);
      cli(peer, ['wait', name]);
    } finally {
      cli(peer, ['rm', '-f', name]);
    }
  }, 0)) / 1000;
}
