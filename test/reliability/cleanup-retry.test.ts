/**
 * Failed cleanups (docs/reliability.md "Failed cleanups"): a cleanup that fails for real (an
 * immutable file, `chattr +i`, in the container's directory and in its writable layer) is
 * logged with what failed and the id, recorded in <data-root>/pending-cleanups.json, and
 * retried at the next daemon start, where it succeeds once the obstacle is gone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';
import { scaled } from './mode.ts';

/** chattr +i needs root and a filesystem with the immutable flag (ext4, xfs, btrfs; not tmpfs). */
function immutableSupported(): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-chattr-'));
  const f = path.join(dir, 'f');
  fs.writeFileSync(f, '');
  try {
    execFileSync('chattr', ['+i', f], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', f], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const SKIP = immutableSupported() ? false : 'chattr +i is not available here (root and ext4/xfs/btrfs needed)';

let d: TestDaemon;
const immutable: string[] = [];
before(async () => { if (SKIP) return; d = await startDaemon({ storageDriver: 'overlay2' }); await importBusybox(d); });
after(async () => {
  // Whatever a failed assertion left immutable (files may have been renamed for removal).
  if (d) { try { execFileSync('chattr', ['-R', '-i', d.dir], { stdio: 'ignore' }); } catch { /* some files need no change */ } }
  await d?.stop();
});

const chattr = (flag: '+i' | '-i', f: string) => execFileSync('chattr', [flag, f]);
const journal = () => path.join(d.dataRoot, 'pending-cleanups.json');
const pending = (): { kind: string; target: string; error: string }[] => (fs.existsSync(journal()) ? JSON.parse(fs.readFileSync(journal(), 'utf8')) : []);

/** The snapshot directory (overlay2/<key>) whose `snapshot` file names no layer but which holds the container's upper dir. */
function upperOf(id: string): string {
  const dir = path.join(d.dataRoot, 'overlay2', id);
  assert.ok(fs.existsSync(path.join(dir, 'diff')), `no snapshot dir for ${id}`);
  return path.join(dir, 'diff');
}

test('rm of a container whose files cannot go: logged, recorded, retried at the next start', { skip: SKIP }, async () => {
  const n = scaled({ fast: 1, soak: 5 });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await d.cli(['run', '--name', `cr-${i}`, 'bb', 'sh', '-c', 'echo data > /keep']);
    assert.equal(r.code, 0, r.stderr);
    const id = (await d.api('GET', `/containers/cr-${i}/json`)).json.Id as string;
    ids.push(id);
    const held = path.join(d.dataRoot, 'containers', id, 'held');
    fs.writeFileSync(held, 'x');
    chattr('+i', held);
    immutable.push(held);
    const inLayer = path.join(upperOf(id), 'keep');
    chattr('+i', inLayer);
  }
  for (const id of ids) {
    const rm = await d.api('DELETE', `/containers/${id}`);
    assert.equal(rm.status, 204, rm.body);
    assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 404);
  }
  const logs = d.logs();
  for (const id of ids) {
    assert.match(logs, new RegExp(`cleanup failed, will retry at the next daemon start: remove-path [^"]*containers/${id}: `), 'the container dir failure is logged with its id');
    assert.match(logs, new RegExp(`cleanup failed: snapshot-remove ${id}: `), 'the snapshot failure is logged with its id');
  }
  const p = pending();
  for (const id of ids) {
    assert.ok(p.some((e) => e.kind === 'remove-path' && e.target === path.join(d.dataRoot, 'containers', id)), JSON.stringify(p));
    assert.ok(p.some((e) => e.kind === 'remove-path' && e.target.includes(`.tmp-rm-${id}`)), JSON.stringify(p));
  }
  const leftovers = p.map((e) => e.target);
  for (const t of leftovers) assert.ok(fs.existsSync(t), `${t} is still there`);

  // A restart with the obstacle still there: the retry fails again, is logged and kept.
  await d.restart();
  assert.match(d.logs(), /pending cleanup failed again, kept: remove-path /);
  assert.equal(pending().length, p.length);

  // The obstacle goes; the next start finishes the job and empties the list.
  for (const f of immutable.splice(0)) chattr('-i', f);
  for (const t of leftovers.filter((x) => x.includes('.tmp-rm-'))) chattr('-i', path.join(t, 'diff', 'keep'));
  await d.restart();
  assert.match(d.logs(), /pending cleanup done: remove-path /);
  assert.deepEqual(pending(), []);
  assert.equal(fs.existsSync(journal()), false);
  for (const t of leftovers) assert.equal(fs.existsSync(t), false, `${t} removed at start-up`);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
});

test('a journal entry outside the daemon\'s roots is refused, and a corrupt journal is set aside', { skip: SKIP }, async () => {
  await d.kill9();
  const outside = fs.mkdtempSync('/tmp/wharf-outside-');
  fs.writeFileSync(journal(), JSON.stringify([{ kind: 'remove-path', target: outside, error: 'x', since: '', attempts: 1 }]));
  await d.restart();
  assert.ok(fs.existsSync(outside), 'nothing outside the data and exec roots is removed');
  assert.match(d.logs(), /refusing to remove/);
  fs.rmSync(outside, { recursive: true });
  await d.kill9();
  fs.writeFileSync(journal(), '{torn');
  await d.restart();
  assert.match(d.logs(), /pending-cleanups\.json is unreadable/);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
});
