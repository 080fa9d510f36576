/** Runtime driver (conmon + runc): attach, tty, resize, exec, signals. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerStartError } from '../../src/drivers/runtime/contract.ts';
import { buildExecProcess } from '../../src/oci/index.ts';
import { Harness, readAll, readUntil } from './runtime-harness.ts';

let h: Harness;
before(async () => { h = await new Harness().init(); });
after(async () => { await h.cleanup(); });

test('attach before start: stdin reaches cat, half-close ends it, output is split by stream', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['sh', '-c', 'echo before-stdin; cat; echo after-eof >&2']), openStdin: true, stdinOnce: true, logPath: h.logPath(id) });
  const a = await h.rt.attach(id);
  const exited = h.rt.waitExit(id);
  const out = readAll(a.stdout);
  const err = readAll(a.stderr);
  await h.rt.start(id);
  a.stdin.write('abc\n');
  a.stdin.end();
  assert.equal(await out, 'before-stdin\nabc\n');
  assert.equal(await err, 'after-eof\n');
  assert.equal((await exited).exitCode, 0);
  assert.equal((await h.logs(id)).stdout, 'before-stdin\nabc\n');
  await h.rt.delete(id);
});

test('detach and reattach keep a non-tty interactive container usable', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['sh', '-c', 'while read l; do [ "$l" = quit ] && exit 9; echo "got:$l"; done']), openStdin: true });
  await h.rt.start(id);
  const a1 = await h.rt.attach(id);
  const s1 = readUntil(a1.stdout, /got:one/);
  a1.stdin.write('one\n');
  await s1;
  a1.detach();
  await a1.closed;
  assert.equal((await h.rt.state(id)).status, 'running');
  const a2 = await h.rt.attach(id);
  const s2 = readUntil(a2.stdout, /got:two/);
  a2.stdin.write('two\n');
  await s2;
  await new Promise<void>((r) => a2.stdin.end(r)); // client EOF: ignored without stdinOnce
  a2.detach();
  const a3 = await h.rt.attach(id);
  const exited = h.rt.waitExit(id);
  a3.stdin.write('still-open\nquit\n');
  assert.equal(await readAll(a3.stdout), 'got:still-open\n');
  assert.equal((await exited).exitCode, 9);
  await h.rt.delete(id);
});

test('tty: echo through attach, initial size, resize, exit code', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['sh'], { tty: true }), tty: true, openStdin: true, consoleSize: { rows: 30, cols: 90 } });
  const a = await h.rt.attach(id);
  const exited = h.rt.waitExit(id);
  await h.rt.start(id);
  let seen = readUntil(a.stdout, /hi-2/);
  a.stdin.write('echo hi-$((1+1))\n');
  await seen;
  seen = readUntil(a.stdout, /size=30 90/);
  a.stdin.write('echo size=$(busybox stty size)\n');
  await seen;
  await h.rt.resize(id, 40, 100);
  seen = readUntil(a.stdout, /size=40 100/);
  a.stdin.write('echo size=$(busybox stty size)\n');
  await seen;
  a.stdin.write('exit 4\n');
  assert.equal((await exited).exitCode, 4);
  await a.closed;
  await h.rt.delete(id);
});

test('exec: output by stream and exit code; detached exec; exec -t; missing binary', async () => {
  const id = h.newId();
  const spec = h.spec(id, ['sleep', '1000']);
  await h.rt.create(id, { spec });
  await h.rt.start(id);

  const ex = await h.rt.exec(id, `${id}-e1`, buildExecProcess(spec, { args: ['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 5'] }), { attach: true });
  assert.ok(ex.pid > 0);
  const [out, err, code] = await Promise.all([readAll(ex.attach!.stdout), readAll(ex.attach!.stderr), ex.exit]);
  assert.deepEqual([out, err, code], ['exec-out\n', 'exec-err\n', 5]);

  const d = await h.rt.exec(id, `${id}-e2`, buildExecProcess(spec, { args: ['sh', '-c', 'exit 6'] }));
  assert.equal(d.attach, undefined);
  assert.equal(await d.exit, 6);

  const i = await h.rt.exec(id, `${id}-e3`, buildExecProcess(spec, { args: ['sh', '-c', 'read l; echo "got:$l"; exit 2'] }), { attach: true, stdin: true });
  const iout = readAll(i.attach!.stdout);
  i.attach!.stdin.end('line\n');
  assert.equal(await iout, 'got:line\n');
  assert.equal(await i.exit, 2);

  const t = await h.rt.exec(id, `${id}-e4`, buildExecProcess(spec, { args: ['sh'], tty: true }), { attach: true, tty: true, consoleSize: { rows: 33, cols: 77 } });
  let seen = readUntil(t.attach!.stdout, /tty=\/dev\/pts\/\d+ size=33 77/);
  t.attach!.stdin.write('echo tty=$(tty) size=$(busybox stty size)\n');
  await seen;
  await h.rt.execResize(id, `${id}-e4`, 20, 60);
  seen = readUntil(t.attach!.stdout, /size=20 60/);
  t.attach!.stdin.write('echo size=$(busybox stty size)\n');
  await seen;
  t.attach!.stdin.write('exit 3\n');
  assert.equal(await t.exit, 3);

  await assert.rejects(h.rt.exec(id, `${id}-e5`, buildExecProcess(spec, { args: ['nosuch'] }), { attach: true }), (e: unknown) =>
    e instanceof ContainerStartError && e.containerExitCode === 127 && /executable file not found in \$PATH/.test(e.message));
  await h.rt.delete(id, true);
});

test('SIGTERM reaches a trapping init', async () => {
  const id = h.newId();
  await h.rt.create(id, { spec: h.spec(id, ['sh', '-c', 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done']) , openStdin: false });
  const a = await h.rt.attach(id);
  const exited = h.rt.waitExit(id);
  const ready = readUntil(a.stdout, /ready/);
  await h.rt.start(id);
  await ready;
  await h.rt.kill(id, 'SIGTERM');
  assert.equal((await exited).exitCode, 42);
  await h.rt.delete(id);
});
