/**
 * The engines a benchmark compares: wharfd (from this checkout) and, when installed, Debian's
 * dockerd and podman's Docker-compatible service (`podman system service`, with runc), each
 * started by the bench on its own socket and roots. The docker CLI drives all of them.
 * BENCH_BRIDGE / BENCH_BIP give wharfd another bridge than wbench0 (two benches at once).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Peer {
  name: 'wharf' | 'docker' | 'podman';
  sock: string;
  /** runc's --root for this peer's containers (the `runc exec` floor; podman's runc uses /run/runc whatever its roots), where known. */
  runcRoot?: string;
  /** Where the peer keeps images and containers (disk bytes per image); `<socket dir>/data` when absent. */
  dataRoot?: string;
  /** The CLI and its env for this peer. */
  cli: { cmd: string; args: string[]; env: Record<string, string> };
  stop(): Promise<void>;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const r = http.get({ socketPath: sock, path: '/_ping' }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    r.on('error', () => resolve(false));
  });
}

async function waitUp(sock: string, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited early`);
    if (fs.existsSync(sock) && (await ping(sock))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start`);
}

function stopper(proc: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (proc.exitCode === null) {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    spawnSync('bash', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null`]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

export async function startWharf(): Promise<Peer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-'));
  const sock = path.join(dir, 'wharf.sock');
  fs.writeFileSync(path.join(dir, 'daemon.json'), '{}');
  const proc = spawn(path.join(REPO, 'bin/wharfd'), ['--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '-H', `unix://${sock}`, '--pidfile', `${dir}/pid`, '--config-file', `${dir}/daemon.json`, '--bridge', process.env.BENCH_BRIDGE ?? 'wbench0', '--bip', process.env.BENCH_BIP ?? '10.213.7.1/24'], { stdio: 'ignore' });
  await waitUp(sock, proc, 'wharfd');
  return { name: 'wharf', sock, runcRoot: `${dir}/exec/runtime/runc`, cli: { cmd: path.join(REPO, 'bin/wharf'), args: [], env: { WHARF_HOST: `unix://${sock}` } }, stop: stopper(proc, dir) };
}

/** Debian's dockerd on its own roots, or undefined when docker.io is not installed. */
export async function startDocker(): Promise<Peer | undefined> {
  const dockerd = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => fs.existsSync(p));
  if (!dockerd) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-bench-'));
  const sock = path.join(dir, 'docker.sock');
  // Own roots and socket; the default bridge (never --bridge=none in the host namespace).
  const proc = spawn(dockerd, ['--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '--host', `unix://${sock}`, '--pidfile', `${dir}/docker.pid`, '--iptables=false'], { stdio: 'ignore' });
  await waitUp(sock, proc, 'dockerd');
  return { name: 'docker', sock, runcRoot: `${dir}/exec/runtime-runc/moby`, cli: { cmd: 'docker', args: [], env: { DOCKER_HOST: `unix://${sock}` } }, stop: stopper(proc, dir) };
}

/**
 * podman's Docker-compatible API service on its own roots and socket, with runc as the runtime
 * (crun refuses this machine's hybrid cgroups), or undefined when podman is not installed.
 */
export async function startPodman(): Promise<Peer | undefined> {
  const podman = ['/usr/bin/podman', '/usr/local/bin/podman'].find((p) => fs.existsSync(p));
  if (!podman) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podman-bench-'));
  const sock = path.join(dir, 'podman.sock');
  // podman's default nofile/nproc ulimits are above this machine's hard limits: nofile is the
  // host's hard limit; runc refuses nproc at the host's hard limit under podman, 4096 is ample.
  const conf = path.join(dir, 'containers.conf');
  const nofile = hardLimit('n'), nproc = Math.min(4096, hardLimit('u'));
  fs.writeFileSync(conf, `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]\n`);
  const global = ['--root', `${dir}/root`, '--runroot', `${dir}/run`, '--runtime', 'runc', '--tmpdir', `${dir}/tmp`];
  const proc = spawn(podman, [...global, 'system', 'service', '--time=0', `unix://${sock}`], { stdio: 'ignore', env: { ...process.env, CONTAINERS_CONF: conf } });
  await waitUp(sock, proc, 'podman system service');
  return { name: 'podman', sock, dataRoot: `${dir}/root`, runcRoot: '/run/runc', cli: { cmd: 'docker', args: [], env: { DOCKER_HOST: `unix://${sock}` } }, stop: stopper(proc, dir) };
}

function hardLimit(flag: 'n' | 'u'): number {
  const r = spawnSync('bash', ['-c', `ulimit -H${flag}`]);
  const n = Number(r.stdout.toString().trim());
  return Number.isFinite(n) && n > 0 ? n : 1024;
}
