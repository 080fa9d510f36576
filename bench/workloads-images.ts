/**
 * Image workloads of issue #14, through the docker CLI on every peer:
 * - `load` of a 347 MB docker-save archive (3 layers of 100 MiB of random bytes + a layer of
 *   20,000 small files), seconds;
 * - `pull` of the same image from a registry on loopback (Debian's docker-registry, i.e.
 *   distribution 2.8, else `wharf registry serve`), MB/s of compressed blobs (1 MB = 10^6 B);
 * - the disk an image takes after the load and after the pull (the data root's growth, `du`
 *   in allocated bytes), MB.
 * Each figure is the median of BENCH_IMG_N runs (default 3); rmi between runs. Results are
 * kept per peer, so the four figures cost one load series and one pull series.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tarStream, type TarWriteEntry } from '../src/common/tar/index.ts';
import type { Peer } from './peers.ts';
import { REPO } from './peers.ts';
import { median } from './measure.ts';

const N = Number(process.env.BENCH_IMG_N ?? 3);
const MiB = 1024 * 1024;

function docker(peer: Peer, args: string[]): string {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` }, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${peer.name}: docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

function dataRoot(peer: Peer): string {
  return peer.dataRoot ?? path.join(path.dirname(peer.sock), 'data');
}

/** Allocated bytes under a directory. */
function du(dir: string): number {
  sync();
  return Number(execFileSync('du', ['-sB1', dir]).toString().split(/\s/)[0]);
}

function sync(): void {
  spawnSync('sync');
}

let fixtureDir: string | undefined;
/** The 347 MB docker-save archive (built once per bench run); its image is `bench-img:v1`. */
export async function archive(): Promise<string> {
  if (fixtureDir) return path.join(fixtureDir, 'img.tar');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-img-'));
  const stage = path.join(dir, 'stage');
  const diffIds: string[] = [];
  const layers: string[] = [];
  // Layer tars are written straight from memory (no tree created and deleted: a mass delete
  // slows file creation on this machine's ext4 for minutes, which would skew the next load).
  const T = 1767225600;
  const addLayer = async (i: number, entries: Iterable<TarWriteEntry>) => {
    fs.mkdirSync(path.join(stage, `l${i}`), { recursive: true });
    const tar = path.join(stage, `l${i}`, 'layer.tar');
    await pipeline(Readable.from(tarStream(entries)), fs.createWriteStream(tar));
    diffIds.push(`sha256:${execFileSync('sha256sum', [tar]).toString().split(' ')[0]}`);
    layers.push(`l${i}/layer.tar`);
  };
  for (let i = 0; i < 3; i++) {
    const chunks = function* () { for (let k = 0; k < 100; k++) yield randomBytes(MiB); };
    await addLayer(i, [
      { header: { name: 'data/', type: 'dir', mode: 0o755, mtime: T } },
      { header: { name: `data/big${i}`, type: 'file', mode: 0o644, mtime: T, size: 100 * MiB }, body: chunks() },
    ]);
  }
  const pool = randomBytes(4 * MiB);
  await addLayer(3, (function* (): Generator<TarWriteEntry> {
    yield { header: { name: 'files/', type: 'dir', mode: 0o755, mtime: T } };
    for (let d = 0; d < 100; d++) {
      yield { header: { name: `files/d${d}/`, type: 'dir', mode: 0o755, mtime: T } };
      for (let f = 0; f < 200; f++) {
        const n = ((d * 200 + f) * 37) % 1700 + 64;
        const off = ((d * 200 + f) * 1031) % (pool.length - n);
        yield { header: { name: `files/d${d}/f${f}`, type: 'file', mode: 0o644, mtime: T, size: n }, body: pool.subarray(off, off + n) };
      }
    }
  })());
  const config = JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'bench' })),
  });
  const cfgHex = execFileSync('sha256sum', { input: config }).toString().split(' ')[0]!;
  fs.writeFileSync(path.join(stage, `${cfgHex}.json`), config);
  fs.writeFileSync(path.join(stage, 'manifest.json'), JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['bench-img:v1'], Layers: layers }]));
  execFileSync('tar', ['-C', stage, '-cf', path.join(dir, 'img.tar'), '.']);
  fs.rmSync(stage, { recursive: true, force: true });
  fixtureDir = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'img.tar');
}

function removeImage(peer: Peer, name: string): void {
  spawnSync('docker', ['rmi', '-f', name], { env: { ...process.env, DOCKER_HOST: `unix://${peer.sock}` } });
}

/** Lets the filesystem settle after mass deletes (see ../shared/design/LAYERS.md). */
async function settle(): Promise<void> {
  sync();
  await new Promise((r) => setTimeout(r, 2000));
}

const loads = new Map<string, Promise<{ seconds: number; diskBytes: number }>>();

/** `load` of the 347 MB archive: median seconds, and the data root's growth after one load. */
export function load347(peer: Peer): Promise<{ seconds: number; diskBytes: number }> {
  let p = loads.get(peer.sock);
  if (!p) {
    p = (async () => {
      const file = await archive();
      const times: number[] = [];
      let diskBytes = 0;
      removeImage(peer, 'bench-img:v1');
      for (let i = 0; i < N; i++) {
        await settle();
        const before = du(dataRoot(peer));
        const t = process.hrtime.bigint();
        docker(peer, ['load', '-q', '-i', file]);
        times.push(Number(process.hrtime.bigint() - t) / 1e9);
        if (i === 0) diskBytes = du(dataRoot(peer)) - before;
        removeImage(peer, 'bench-img:v1');
      }
      return { seconds: median(times), diskBytes };
    })();
    loads.set(peer.sock, p);
  }
  return p;
}

interface Registry { host: string; proc: ChildProcess; dir: string; pushed: boolean; blobBytes: number }
let registry: Promise<Registry> | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('bench registry did not start');
}

function getJson(url: string, accept: string): Promise<any> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { Accept: accept } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
    }).on('error', reject);
  });
}

/** A registry on loopback holding `bench/img:v1` (pushed from `pusher`, gzip layers). */
function benchRegistry(pusher: Peer): Promise<Registry> {
  registry ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-reg-'));
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    let proc: ChildProcess;
    if (fs.existsSync('/usr/bin/docker-registry')) {
      fs.writeFileSync(path.join(dir, 'config.yml'), ['version: 0.1', 'log: { level: error }', `storage: { filesystem: { rootdirectory: ${dir}/data } }`, `http: { addr: "${host}" }`, ''].join('\n'));
      proc = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
    } else {
      proc = spawn(path.join(REPO, 'bin/wharf'), ['registry', 'serve', '--addr', host, '--root', path.join(dir, 'data'), '--log-level', 'error'], { stdio: 'ignore' });
    }
    proc.unref(); // the bench exits when its figures are done; the exit handler stops the registry
    process.on('exit', () => { proc.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });
    await waitPort(port);
    docker(pusher, ['load', '-q', '-i', await archive()]);
    docker(pusher, ['tag', 'bench-img:v1', `${host}/bench/img:v1`]);
    docker(pusher, ['push', `${host}/bench/img:v1`]);
    removeImage(pusher, `${host}/bench/img:v1`);
    removeImage(pusher, 'bench-img:v1');
    const m = await getJson(`http://${host}/v2/bench/img/manifests/v1`, 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json');
    const blobBytes = (m.layers as { size: number }[]).reduce((n, l) => n + l.size, 0) + (m.config.size as number);
    return { host, proc, dir, pushed: true, blobBytes };
  })();
  return registry;
}

const pulls = new Map<string, Promise<{ mbps: number; diskBytes: number; mb: number }>>();

/** `pull` from the loopback registry: median MB/s (compressed bytes), and the data root's growth. */
export function pullFromLoopback(peer: Peer): Promise<{ mbps: number; diskBytes: number; mb: number }> {
  let p = pulls.get(peer.sock);
  if (!p) {
    p = (async () => {
      const reg = await benchRegistry(peer);
      const name = `${reg.host}/bench/img:v1`;
      const times: number[] = [];
      let diskBytes = 0;
      removeImage(peer, name);
      for (let i = 0; i < N; i++) {
        await settle();
        const before = du(dataRoot(peer));
        const t = process.hrtime.bigint();
        docker(peer, ['pull', '-q', name]);
        times.push(Number(process.hrtime.bigint() - t) / 1e9);
        if (i === 0) diskBytes = du(dataRoot(peer)) - before;
        removeImage(peer, name);
      }
      return { mbps: reg.blobBytes / 1e6 / median(times), diskBytes, mb: reg.blobBytes / 1e6 };
    })();
    pulls.set(peer.sock, p);
  }
  return p;
}
