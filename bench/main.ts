/**
 * `npm run bench`: every figure of the project, wharf side by side with Debian's docker.io
 * and podman (`podman system service --runtime runc`), each started here on its own socket and
 * roots when installed, all driven by the docker CLI. Medians over repeated runs; the ratio
 * columns are to docker (below 1 = faster than docker). Not a test: nothing asserts.
 *   BENCH_ONLY=regex  runs only the figures whose name matches.
 *   BENCH_PODMAN=0    leaves podman out.
 */
import { runcExecFloor } from './workloads-exec.ts';
import { startDocker, startPodman, startWharf, type Peer } from './peers.ts';
import { load347, pullFromLoopback } from './workloads-images.ts';
import { apiCall, cliCall, median, printTable, timeRuns, type Figure } from './measure.ts';
import { composeUpExample, cp100MB, createStartRm, daemonRss, execLatency, healthProbeCpu, imagesWith, loadFigures, logs100MB, monitorMemory, monitorRss, psWith, publishFirstByte, runRmBridge, runRmLatency, saveLoad300MB, stats50 } from './workloads.ts';
import { logWrite100MB } from './workloads-logs.ts';
import { buildCold, buildWarm } from './workloads-build.ts';

interface Bench { name: string; unit: string; run(peer: Peer): Promise<number> }

const N = Number(process.env.BENCH_N ?? 30);
/** The load figures: 200 API clients for 60 s (test/reliability/load.test.ts's soak load), one run per peer. */
const LOAD = (p: Peer) => loadFigures(p, Number(process.env.BENCH_LOAD_CLIENTS ?? 200), Number(process.env.BENCH_LOAD_SECONDS ?? 60));

export const BENCHES: Bench[] = [
  { name: 'API GET /_ping round trip', unit: 'ms', run: async (p) => median(await timeRuns(N * 5, () => apiCall(p, 'GET', '/_ping'))) },
  { name: 'API GET /version round trip', unit: 'ms', run: async (p) => median(await timeRuns(N * 5, () => apiCall(p, 'GET', '/version'))) },
  { name: 'API GET /info round trip', unit: 'ms', run: async (p) => median(await timeRuns(N * 2, () => apiCall(p, 'GET', '/info'))) },
  { name: 'CLI `version` (process start to exit)', unit: 'ms', run: async (p) => median(await timeRuns(N, () => cliCall(p, ['version']))) },
  { name: 'CLI `info`', unit: 'ms', run: async (p) => median(await timeRuns(Math.ceil(N / 2), () => cliCall(p, ['info']))) },
  { name: '`run --rm --network none bb true`', unit: 'ms', run: (p) => runRmLatency(p, Math.ceil(N / 2)) },
  { name: '`exec C true`', unit: 'ms', run: (p) => execLatency(p, N) },
  { name: 'floor: `runc exec C true` by hand on the same container', unit: 'ms', run: (p) => runcExecFloor(p, N) },
  { name: 'a container prints 100 MB; `logs` reads it back', unit: 's', run: (p) => logs100MB(p) },
  { name: 'a detached container prints 100 MB into its json-file log (start to exit)', unit: 's', run: (p) => logWrite100MB(p) },
  { name: '`images` with 500 images', unit: 'ms', run: (p) => imagesWith(p, 500) },
  { name: '`save` of a 300 MB, 4-layer image', unit: 's', run: async (p) => (await saveLoad300MB(p)).save },
  { name: '`load` of a 300 MB, 4-layer image', unit: 's', run: async (p) => (await saveLoad300MB(p)).load },
  { name: '`load` of a 347 MB image (3 × 100 MiB + 20,000 small files)', unit: 's', run: async (p) => (await load347(p)).seconds },
  { name: 'disk bytes per image after `load` (347 MB image)', unit: 'MB', run: async (p) => (await load347(p)).diskBytes / 1e6 },
  { name: '`pull` of the same image from a registry on loopback', unit: 'MB/s', run: async (p) => (await pullFromLoopback(p)).mbps },
  { name: 'disk bytes per image after `pull`', unit: 'MB', run: async (p) => (await pullFromLoopback(p)).diskBytes / 1e6 },
  { name: 'create+start+rm of 100 containers, sequential', unit: 's', run: (p) => createStartRm(p, 100, 1) },
  { name: 'create+start+rm of 100 containers, 8 in parallel', unit: 's', run: (p) => createStartRm(p, 100, 8) },
  { name: 'daemon RSS with 100 running containers', unit: 'MB', run: (p) => daemonRss(p, 100) },
  { name: 'monitor RSS per running container (20 running)', unit: 'MB', run: (p) => monitorRss(p, 20) },
  { name: 'monitor PSS per running container (20 running)', unit: 'MB', run: async (p) => (await monitorMemory(p, 20)).pss },
  { name: '`ps -a` with 500 containers', unit: 'ms', run: (p) => psWith(p, 500) },
  { name: '`stats --no-stream` with 50 running containers', unit: 'ms', run: (p) => stats50(p) },
  { name: '`cp` of a 100 MB directory in and out', unit: 's', run: (p) => cp100MB(p) },
  { name: '`run --rm bb true` on the default bridge', unit: 'ms', run: (p) => runRmBridge(p, Math.ceil(N / 2)) },
  { name: '`run -d -p 127.0.0.1:0:80` httpd + first byte', unit: 'ms', run: (p) => publishFirstByte(p, Math.ceil(N / 3)) },
  { name: 'docker-compose `up -d --build` of examples/compose-web until it answers', unit: 's', run: (p) => composeUpExample(p, 3) },
  { name: 'load (200 clients, 60 s): requests served', unit: 'req', run: async (p) => (await LOAD(p)).served },
  { name: 'load (200 clients, 60 s): requests failed', unit: 'req', run: async (p) => (await LOAD(p)).failed },
  { name: 'load (200 clients, 60 s): GET /containers/json p50', unit: 'ms', run: async (p) => (await LOAD(p)).psP50 },
  { name: 'load (200 clients, 60 s): GET /containers/json p99', unit: 'ms', run: async (p) => (await LOAD(p)).psP99 },
  { name: 'load (200 clients, 60 s): create+start p50', unit: 'ms', run: async (p) => (await LOAD(p)).createStartP50 },
  { name: 'load (200 clients, 60 s): create+start p99', unit: 'ms', run: async (p) => (await LOAD(p)).createStartP99 },
  { name: 'build, warm cache (6 of 6 cached; 50 MiB / 5000-file context)', unit: 's', run: (p) => buildWarm(p, Math.ceil(N / 3)) },
  { name: 'build, cold (--no-cache, COPY + 5 RUN)', unit: 's', run: (p) => buildCold(p, Math.ceil(N / 6)) },
  { name: 'daemon CPU, 50 containers with a healthcheck every 1 s (20 s)', unit: '% core', run: (p) => healthProbeCpu(p, 50, 20) },
];

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
  const benches = BENCHES.filter((b) => !only || only.test(b.name));
  const wharf = await startWharf();
  let docker: Peer | undefined;
  let podman: Peer | undefined;
  try {
    docker = await startDocker().catch((err: Error) => { console.error(`docker peer unavailable: ${err.message}`); return undefined; });
    if (!docker) console.log('(Debian docker.io not installed: wharf figures only)');
    if (process.env.BENCH_PODMAN !== '0') podman = await startPodman().catch((err: Error) => { console.error(`podman peer unavailable: ${err.message}`); return undefined; });
    const figs: Figure[] = [];
    for (const b of benches) {
      const w = await b.run(wharf);
      const d = docker ? await b.run(docker).catch(() => undefined) : undefined;
      const p = podman ? await b.run(podman).catch((err: Error) => { console.error(`podman: ${b.name}: ${err.message.split('\n')[0]}`); return undefined; }) : undefined;
      figs.push({ name: b.name, unit: b.unit, wharf: w, docker: d, podman: p });
    }
    printTable(figs);
  } finally {
    await wharf.stop();
    await docker?.stop();
    await podman?.stop();
  }
}

void main();
