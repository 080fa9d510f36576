/** daemon.json max-concurrent-downloads/uploads: the Limiter caps work and a reload changes the cap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../src/registry/client/inflight.ts';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => { open = r; });
  return { p, open };
}
const tick = () => new Promise((r) => setImmediate(r));

test('at most `limit` run at once; a raised limit starts queued work now; a lowered one lets running work finish', async () => {
  const l = new Limiter(1);
  let running = 0;
  let peak = 0;
  const gates = Array.from({ length: 4 }, gate);
  let waited = 0;
  const jobs = gates.map((g) => l.run(async () => { running++; peak = Math.max(peak, running); await g.p; running--; }, () => waited++));
  await tick();
  assert.equal(running, 1);
  assert.equal(waited, 3);
  l.setLimit(3);
  await tick();
  assert.equal(running, 3, 'raised: two queued jobs start');
  l.setLimit(1);
  gates[0]!.open();
  gates[1]!.open();
  await tick();
  assert.equal(running, 1, 'lowered: finished slots are not passed on above the new cap');
  gates[2]!.open();
  await tick(); await tick();
  assert.equal(running, 1, 'the last queued job got the freed slot');
  gates[3]!.open();
  await Promise.all(jobs);
  assert.equal(running, 0);
  assert.equal(peak, 3);
});

test('a limit under 1 is refused', () => {
  assert.throws(() => new Limiter(0), /at least 1/);
  assert.throws(() => new Limiter(2).setLimit(0), /at least 1/);
});
