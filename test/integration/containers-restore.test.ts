/**
 * Live-restore and restart policies across daemon crashes (SECURITY-CHECKS 20, 21, appendix B):
 * kill -9 of wharfd with 20 running containers; the truth table without live-restore.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

async function waitFor(fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not met in time');
}

test('check 20: kill -9 with 20 running containers; all still running with the same PIDs, then stop/exec/exit codes work', async () => {
  const d = await startDaemon();
  try {
    await importBusybox(d);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await d.cli(['run', '-d', '--name', `lr${i}`, 'bb', 'sh', '-c', `trap "exit ${i % 7}" TERM; while true; do sleep 0.2; done`]);
      assert.equal(r.code, 0, r.stderr);
      ids.push(r.stdout.trim());
    }
    const before = new Map<string, number>();
    for (const id of ids) before.set(id, (await d.api('GET', `/containers/${id}/json`)).json.State.Pid);
    await d.kill9();
    await d.restart();
    for (const id of ids) {
      const j = (await d.api('GET', `/containers/${id}/json`)).json;
      assert.equal(j.State.Running, true, id);
      assert.equal(j.State.Pid, before.get(id));
    }
    const ps = await d.cli(['ps', '-q']);
    assert.equal(ps.stdout.trim().split('\n').length, 20);
    const ex = await d.cli(['exec', 'lr3', 'sh', '-c', 'exit 9']);
    assert.equal(ex.code, 9);
    const st = await d.cli(['stop', 'lr5']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal((await d.api('GET', '/containers/lr5/json')).json.State.ExitCode, 5);
    // A container that exits after the restart has its code recorded.
    for (const id of ids.slice(10)) await d.api('POST', `/containers/${id}/kill?signal=TERM`);
    await waitFor(async () => {
      const all = (await d.api('GET', '/containers/json?all=1')).json as { Id: string; State: string }[];
      return ids.slice(10).every((id) => all.find((c) => c.Id === id)?.State === 'exited');
    });
    for (const [i, id] of ids.entries()) if (i >= 10) assert.equal((await d.api('GET', `/containers/${id}/json`)).json.State.ExitCode, i % 7);
    const rm = await d.cli(['rm', '-f', ...ids]);
    assert.equal(rm.code, 0, rm.stderr);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(path.join(d.dataRoot, 'overlay2')) || !ids.some((id) => mounts.includes(id)), 'container mounts left after rm');
  } finally {
    await d.stop();
  }
});

test('check 21: restart truth table after kill -9 without live-restore', async () => {
  const cfgDir = fs.mkdtempSync('/tmp/wharf-cfg-');
  const cfg = path.join(cfgDir, 'daemon.json');
  fs.writeFileSync(cfg, JSON.stringify({ 'live-restore': false }));
  const d = await startDaemon({ configFile: cfg });
  try {
    await importBusybox(d);
    const loop = ['sh', '-c', 'while true; do sleep 0.2; done'];
    await d.cli(['run', '-d', '--name', 'none', 'bb', ...loop]);
    await d.cli(['run', '-d', '--name', 'always', '--restart', 'always', 'bb', ...loop]);
    await d.cli(['create', '--name', 'created', '--restart', 'always', 'bb', ...loop]);
    await d.cli(['run', '-d', '--name', 'us', '--restart', 'unless-stopped', 'bb', ...loop]);
    await d.cli(['stop', '-t', '0', 'us']);
    await d.cli(['run', '-d', '--name', 'as', '--restart', 'always', 'bb', ...loop]);
    await d.cli(['stop', '-t', '0', 'as']);
    await d.cli(['run', '-d', '--name', 'of', '--restart', 'on-failure:3', 'bb', 'sh', '-c', 'exit 3']);
    await waitFor(async () => (await d.api('GET', '/containers/of/json')).json.RestartCount === 3 && !(await d.api('GET', '/containers/of/json')).json.State.Running);
    const alwaysPid = (await d.api('GET', '/containers/always/json')).json.State.Pid;
    await d.kill9();
    await d.restart();
    const state = async (n: string) => (await d.api('GET', `/containers/${n}/json`)).json;
    await waitFor(async () => (await state('always')).State.Running && (await state('as')).State.Running && !(await state('none')).State.Running);
    const none = await state('none');
    assert.equal(none.State.Status, 'exited');
    assert.equal(none.State.ExitCode, 137);
    const always = await state('always');
    assert.equal(always.State.Running, true);
    assert.notEqual(always.State.Pid, alwaysPid);
    assert.equal((await state('created')).State.Status, 'created');
    const us = await state('us');
    assert.equal(us.State.Status, 'exited');
    assert.equal(us.State.ExitCode, 137);
    assert.equal((await state('as')).State.Running, true);
    const of = await state('of');
    assert.equal(of.RestartCount, 3);
    assert.equal(of.State.ExitCode, 3);
    assert.equal(of.State.Status, 'exited');
    await d.cli(['rm', '-f', 'none', 'always', 'created', 'us', 'as', 'of']);
  } finally {
    await d.stop();
    fs.rmSync(cfgDir, { recursive: true, force: true });
  }
});
