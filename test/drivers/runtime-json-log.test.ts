/**
 * The runtime contract's log drivers: json-file (docker's lines, written by the log monitor,
 * rotated at maxSize, all of it in the file once waitExit resolves), none (no file), and the
 * k8s-file shorthand (logPath) that kubelet's CRI path keeps using.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './runtime-harness.ts';

let h: Harness;
before(async () => { h = await new Harness().init(); });
after(async () => { await h?.cleanup(); });

function jsonLines(file: string): { log: string; stream: string; time: string }[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const o = JSON.parse(l);
    assert.deepEqual(Object.keys(o), ['log', 'stream', 'time']);
    return o;
  });
}

test('json-file: every line in the file once waitExit resolves, rotated at maxSize', async () => {
  const id = h.newId();
  const file = h.logPath(id);
  await h.rt.create(id, { spec: h.spec(id, ['sh', '-c', 'for i in $(seq 1 400); do echo line-$i; done; echo oops >&2']), log: { driver: 'json-file', path: file, maxSize: 4096, maxFile: 3 } });
  const exited = h.rt.waitExit(id);
  await h.rt.start(id);
  assert.equal((await exited).exitCode, 0);
  const files = [`${file}.2`, `${file}.1`, file];
  for (const f of files) assert.ok(fs.existsSync(f), f);
  assert.ok(!fs.existsSync(`${file}.3`));
  const entries = files.flatMap(jsonLines);
  const out = entries.filter((e) => e.stream === 'stdout').map((e) => e.log);
  assert.equal(out.at(-1), 'line-400\n');
  assert.deepEqual(entries.filter((e) => e.stream === 'stderr').map((e) => e.log), ['oops\n']);
  const first = Number(/^line-(\d+)/.exec(out[0]!)![1]);
  assert.deepEqual(out, Array.from({ length: out.length }, (_, i) => `line-${first + i}\n`));
  await h.rt.delete(id);
});

test('none writes nothing; the logPath shorthand is conmon\'s k8s-file', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['echo', 'hi']), log: { driver: 'none' } });
  const exited = h.rt.waitExit(id);
  await h.rt.start(id);
  assert.equal((await exited).exitCode, 0);
  assert.ok(!fs.existsSync(h.logPath(id)));
  await h.rt.delete(id);
  const k8s = await h.run(['echo', 'hi']);
  assert.equal(k8s.stdout, 'hi\n');
  assert.match(fs.readFileSync(h.logPath(k8s.id), 'utf8'), /^\S+ stdout F hi\n$/);
});
