/**
 * Regression cases of the crash tests (test/reliability/crash-store.test.ts): the states a
 * daemon killed at an unlucky point leaves behind, reproduced exactly (a fault point, or the
 * database and directories as the kill left them), and what the next start makes of them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { storeProblems, tempLeftovers } from '../reliability/store-check.ts';

const faultFile = path.join(os.tmpdir(), `wharf-relcrash-fault-${process.pid}`);
let d: TestDaemon;

before(async () => {
  d = await startDaemon({ env: { WHARF_BUILD_FAULT_FILE: faultFile } });
  await importBusybox(d, 'busybox:latest');
});
after(async () => {
  await d?.stop();
  fs.rmSync(faultFile, { force: true });
});

const ok = async (args: string[]) => {
  const r = await d.docker(args, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
};

/** Edits the container row while the daemon is down, as a kill at that point leaves it. */
function editRecord(id: string, fn: (rec: Record<string, any>) => Record<string, any> | undefined): void {
  const db = new Database(path.join(d.dataRoot, 'metadata.db'));
  try {
    const row = db.prepare('SELECT record FROM containers WHERE id = ?').get(id) as { record: string };
    const rec = fn(JSON.parse(row.record));
    if (rec) db.prepare('UPDATE containers SET record = ? WHERE id = ?').run(JSON.stringify(rec), id);
    else db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  } finally {
    db.close();
  }
}

test('a build killed after its RUN step leaves no build container (it is removed at the next start)', async () => {
  const ctx = path.join(d.dir, 'ctx-run');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo hi > /hi\n');
  fs.writeFileSync(faultFile, 'after-run');
  const r = await d.docker(['build', '-t', 'relcrash-run:1', ctx], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
  assert.notEqual(r.code, 0);
  assert.equal(fs.existsSync(faultFile), false, 'the fault point was reached');
  await d.restart();
  assert.equal(await ok(['ps', '-aq']), '');
  assert.deepEqual(storeProblems(d.dataRoot), []);
  assert.deepEqual(tempLeftovers(d.dataRoot), []);
  await ok(['build', '-t', 'relcrash-run:1', ctx]);
  assert.equal(await ok(['run', '--rm', 'relcrash-run:1', 'cat', '/hi']), 'hi');
  // --rm=false keeps the step's container, across restarts too.
  await ok(['build', '--no-cache', '--rm=false', '-t', 'relcrash-run:2', ctx]);
  const kept = await ok(['ps', '-aq']);
  assert.notEqual(kept, '');
  await d.kill9();
  await d.restart();
  assert.equal(await ok(['ps', '-aq']), kept);
  await ok(['rm', kept]);
});

test('rm killed after the snapshot went: the removal finishes at the next start, rm -v volumes included', async () => {
  const id = await ok(['create', '-v', '/anon', 'busybox', 'true']);
  const vol = JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', id]))[0].Name as string;
  await d.kill9();
  // What `rm -v` had done when it was killed: the record marked, the snapshot gone.
  editRecord(id, (rec) => ({ ...rec, State: { ...rec.State, Status: 'removing' }, Removing: { volumes: true } }));
  fs.rmSync(path.join(d.dataRoot, 'overlay2', id), { recursive: true, force: true });
  await d.restart();
  assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 404);
  assert.equal((await d.api('GET', `/volumes/${vol}`)).status, 404, 'the anonymous volume went with it');
  assert.deepEqual(storeProblems(d.dataRoot), []);
});

test('a container whose snapshot vanished can still be removed', async () => {
  const id = await ok(['create', 'busybox', 'true']);
  await d.kill9();
  fs.rmSync(path.join(d.dataRoot, 'overlay2', id), { recursive: true, force: true });
  await d.restart();
  await ok(['rm', id]);
  assert.deepEqual(storeProblems(d.dataRoot), []);
});

test('a create killed before its row was written leaves no snapshot, directory or short link', async () => {
  const id = await ok(['create', 'busybox', 'true']);
  await d.kill9();
  editRecord(id, () => undefined);
  fs.symlinkSync('../0123456789abcdef/diff', path.join(d.dataRoot, 'overlay2', 'l', 'DANGLINGLINKLEFTBYACRASH00'));
  await d.restart();
  assert.equal(fs.existsSync(path.join(d.dataRoot, 'overlay2', id)), false, 'snapshot removed');
  assert.equal(fs.existsSync(path.join(d.dataRoot, 'containers', id)), false, 'directory removed');
  assert.equal(fs.existsSync(path.join(d.dataRoot, 'overlay2', 'l', 'DANGLINGLINKLEFTBYACRASH00')), false, 'dangling short link removed');
  assert.deepEqual(storeProblems(d.dataRoot), []);
});

test('a daemon killed while an on-failure container waits for its restart restarts it at the next start', async () => {
  await ok(['run', '-d', '--name', 'relcrash-flaky', '--restart', 'on-failure', 'busybox', 'sh', '-c', 'sleep 0.2; exit 3']);
  const inspect = async () => (await d.api('GET', '/containers/relcrash-flaky/json')).json;
  // Backoff doubles from 100 ms: after a few exits the wait is long enough to kill in.
  const deadline = Date.now() + 30_000;
  while (!((await inspect()).State.Restarting && (await inspect()).RestartCount >= 3)) {
    assert.ok(Date.now() < deadline, 'never seen restarting');
    await new Promise((r) => setTimeout(r, 20));
  }
  const count = (await inspect()).RestartCount;
  await d.kill9();
  await d.restart();
  const until = Date.now() + 20_000;
  while ((await inspect()).RestartCount <= count) {
    assert.ok(Date.now() < until, `not restarted after the daemon start: ${JSON.stringify((await inspect()).State)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await ok(['rm', '-f', 'relcrash-flaky']);
});

test('volume rm killed in the middle: the volume is whole or gone, never half deleted', async () => {
  await ok(['volume', 'create', 'relcrash-vol']);
  await ok(['volume', 'create', 'relcrash-kept']);
  const root = path.join(d.dataRoot, 'volumes');
  fs.writeFileSync(path.join(root, 'relcrash-kept', '_data', 'f'), 'data');
  await d.kill9();
  // rm renamed the directory and was killed while deleting it; a create was killed before its row.
  fs.renameSync(path.join(root, 'relcrash-vol'), path.join(root, '.tmp-rm-0123456789abcdef-relcrash-vol'));
  fs.mkdirSync(path.join(root, 'relcrash-half', '_data'), { recursive: true });
  await d.restart();
  assert.equal((await d.api('GET', '/volumes/relcrash-vol')).status, 404);
  assert.deepEqual(fs.readdirSync(root).filter((n) => n.startsWith('.') || n === 'relcrash-half'), []);
  assert.equal(fs.readFileSync(path.join(root, 'relcrash-kept', '_data', 'f'), 'utf8'), 'data');
  await ok(['volume', 'rm', 'relcrash-kept']);
  assert.deepEqual(storeProblems(d.dataRoot), []);
  await ok(['volume', 'create', 'relcrash-vol']);
  await ok(['volume', 'rm', 'relcrash-vol']);
});

test('a daemon killed during a commit (container paused for it) resumes the container at the next start', async () => {
  await ok(['run', '-d', '--name', 'relcrash-cmt', 'busybox', 'sleep', '600']);
  const id = await ok(['inspect', '-f', '{{.Id}}', 'relcrash-cmt']);
  // The state commit's pause leaves: frozen, the record saying it was commit's doing.
  await ok(['pause', id]);
  await d.kill9();
  editRecord(id, (rec) => ({ ...rec, CommitPause: true }));
  await d.restart();
  const st = JSON.parse(await ok(['inspect', '-f', '{{json .State}}', id]));
  assert.equal(st.Paused, false);
  assert.equal(st.Status, 'running');
  const r = await d.docker(['exec', id, 'true'], { timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  // A pause of the user's own stays across a restart.
  await ok(['pause', id]);
  await d.kill9();
  await d.restart();
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', id]), 'paused');
  await ok(['rm', '-f', id]);
});

test('a start killed before its running state was saved: the runtime leftover goes, the container starts again', async () => {
  await ok(['run', '-d', '--name', 'relcrash-start', 'busybox', 'sleep', '600']);
  const id = await ok(['inspect', '-f', '{{.Id}}', 'relcrash-start']);
  const pid = Number(await ok(['inspect', '-f', '{{.State.Pid}}', id]));
  await d.kill9();
  // The record as the kill left it: not yet running (the process was, in the runtime).
  editRecord(id, (rec) => ({ ...rec, State: { ...rec.State, Status: 'created', Running: false, Pid: 0 }, HasBeenStarted: false }));
  await d.restart();
  assert.equal(fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '), false, 'the unrecorded process is gone');
  await ok(['start', id]);
  const r = await d.docker(['exec', id, 'true'], { timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  await ok(['rm', '-f', id]);
  assert.deepEqual(storeProblems(d.dataRoot), []);
});

test('rmi killed between the image row and its layers: the layers nothing holds go at the next start', async () => {
  const ctx = path.join(d.dir, 'ctx-rmi');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'f'), 'layer of its own\n');
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY f /f\n');
  await ok(['build', '-t', 'relcrash-rmi:1', ctx]);
  const id = await ok(['image', 'inspect', '-f', '{{.Id}}', 'relcrash-rmi:1']);
  const layersBefore = fs.readdirSync(path.join(d.dataRoot, 'overlay2')).length;
  await d.kill9();
  // What rmi had done: references, image row and config blob gone; the layer not yet.
  const db = new Database(path.join(d.dataRoot, 'metadata.db'));
  try {
    db.prepare('DELETE FROM image_refs WHERE image_id = ?').run(id);
    db.prepare('DELETE FROM images WHERE id = ?').run(id);
  } finally {
    db.close();
  }
  fs.rmSync(path.join(d.dataRoot, 'content', 'content', 'sha256', id.slice(7)));
  await d.restart();
  assert.equal(fs.readdirSync(path.join(d.dataRoot, 'overlay2')).length, layersBefore - 1, 'the COPY layer went');
  assert.deepEqual(storeProblems(d.dataRoot), []);
  await ok(['build', '-t', 'relcrash-rmi:1', ctx]);
  await ok(['rmi', 'relcrash-rmi:1']);
});

test('a policy restart killed after its network sandbox was made: the container restarts at the next start', async () => {
  const { startNetDaemon } = await import('./networking-harness.ts');
  const h = await startNetDaemon();
  try {
    const id = await h.ok(['run', '-d', '--restart', 'always', 'busybox', 'sleep', '600']);
    await h.d.kill9();
    // The state such a kill leaves: the record still restarting, sandbox and runtime container made.
    const db = new Database(path.join(h.d.dataRoot, 'metadata.db'));
    try {
      const rec = JSON.parse((db.prepare('SELECT record FROM containers WHERE id = ?').get(id) as { record: string }).record);
      rec.State = { ...rec.State, Status: 'restarting', Restarting: true, Running: true };
      db.prepare('UPDATE containers SET record = ? WHERE id = ?').run(JSON.stringify(rec), id);
    } finally {
      db.close();
    }
    await h.d.restart();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const st = (await h.d.api('GET', `/containers/${id}/json`)).json.State;
      if (st.Running && !st.Restarting) break;
      assert.ok(Date.now() < deadline, `not restarted: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await h.ok(['exec', id, 'true']);
    await h.ok(['rm', '-f', id]);
  } finally {
    await h.close();
  }
});
