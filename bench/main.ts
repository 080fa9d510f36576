/**
 * `npm run bench`: every figure of the project, wharf side by side with Debian's docker.io
 * (started here on its own socket and roots) when it is installed. Medians over repeated
 * runs; the last column is wharf/docker (below 1 = wharf faster). Not a test: nothing asserts.
 *   BENCH_ONLY=regex  runs only the figures whose name matches.
 */
import { startDocker, startWharf, type Peer } from './peers.ts';
import { apiCall, cliCall, median, printTable, timeRuns, type Figure } from './measure.ts';
import { execLatency, imagesWith, logs100MB, runRmLatency, saveLoad300MB } from './workloads.ts';

interface Bench { name: string; unit: string; run(peer: Peer): Promise<number> }

const N = Number(process.env.BENCH_N ?? 30);

export const BENCHES: Bench[] = [
  { name: 'API GET /_ping round trip', unit: 'ms', run: async (p) => median(await timeRuns(N * 5, () => apiCall(p, 'GET', '/_ping'))) },
  { name: 'API GET /version round trip', unit: 'ms', run: async (p) => median(await timeRuns(N * 5, () => apiCall(p, 'GET', '/version'))) },
  { name: 'API GET /info round trip', unit: 'ms', run: async (p) => median(await timeRuns(N * 2, () => apiCall(p, 'GET', '/info'))) },
  { name: 'CLI `version` (process start to exit)', unit: 'ms', run: async (p) => median(await timeRuns(N, () => cliCall(p, ['version']))) },
  { name: 'CLI `info`', unit: 'ms', run: async (p) => median(await timeRuns(Math.ceil(N / 2), () => cliCall(p, ['info']))) },
  { name: '`run --rm --network none bb true`', unit: 'ms', run: (p) => runRmLatency(p, Math.ceil(N / 2)) },
  { name: '`exec C true`', unit: 'ms', run: (p) => execLatency(p, N) },
  { name: 'a container prints 100 MB; `logs` reads it back', unit: 's', run: (p) => logs100MB(p) },
  { name: '`images` with 500 images', unit: 'ms', run: (p) => imagesWith(p, 500) },
  { name: '`save` of a 300 MB, 4-layer image', unit: 's', run: async (p) => (await saveLoad300MB(p)).save },
  { name: '`load` of a 300 MB, 4-layer image', unit: 's', run: async (p) => (await saveLoad300MB(p)).load },
];

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
  const benches = BENCHES.filter((b) => !only || only.test(b.name));
  const wharf = await startWharf();
  let docker: Peer | undefined;
  try {
    docker = await startDocker().catch((err: Error) => { console.error(`docker peer unavailable: ${err.message}`); return undefined; });
    if (!docker) console.log('(Debian docker.io not installed: wharf figures only)');
    const figs: Figure[] = [];
    for (const b of benches) {
      const w = await b.run(wharf);
      const d = docker ? await b.run(docker).catch(() => undefined) : undefined;
      figs.push({ name: b.name, unit: b.unit, wharf: w, docker: d });
    }
    printTable(figs);
  } finally {
    await wharf.stop();
    await docker?.stop();
  }
}

void main();
