/**
 * CleanupJournal (src/common/cleanups.ts): expected failures pass silently, others are logged
 * and persisted; replay runs them again, drops what succeeds, keeps what fails; paths outside
 * the roots are refused; a torn file is set aside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CleanupJournal, isGone, onlyErrno, onlyJsonSyntax, removePathWithin } from '../../src/common/cleanups.ts';
import { NotFoundError } from '../../src/common/errors.ts';
import type { Logger } from '../../src/common/logger.ts';

function memLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const w = (l: string) => (m: string) => { lines.push(`${l} ${m}`); };
  return { level: 'debug', lines, debug: w('debug'), info: w('info'), warn: w('warn'), error: w('error') };
}

const errno = (code: string) => Object.assign(new Error(code), { code });

test('attempt: expected failures are done, others logged and persisted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cj-'));
  const file = path.join(dir, 'pending-cleanups.json');
  const log = memLogger();
  const j = new CleanupJournal(file, log);
  assert.equal(await j.attempt('snapshot-remove', 'a', async () => { throw new NotFoundError('gone'); }, isGone), true);
  assert.equal(await j.attempt('snapshot-remove', 'b', async () => { throw errno('EBUSY'); }, isGone), false);
  assert.equal(j.attemptSync('remove-path', '/x', () => { throw errno('EPERM'); }), false);
  assert.equal(await j.attempt('runtime-delete', 'c', async () => {}), true);
  assert.deepEqual(j.pending().map((e) => [e.kind, e.target, e.attempts]), [['snapshot-remove', 'b', 1], ['remove-path', '/x', 1]]);
  assert.ok(log.lines.some((l) => l.startsWith('warn cleanup failed, will retry at the next daemon start: snapshot-remove b: EBUSY')));
  // The same failure again counts an attempt, not a new entry; the file survives a restart.
  await j.attempt('snapshot-remove', 'b', async () => { throw errno('EBUSY'); });
  const again = new CleanupJournal(file, memLogger());
  assert.deepEqual(again.pending().map((e) => [e.kind, e.target, e.attempts]), [['snapshot-remove', 'b', 2], ['remove-path', '/x', 1]]);
  // An error naming its leftover is recorded as the removal of that path.
  await again.attempt('snapshot-remove', 'd', async () => { throw Object.assign(errno('EPERM'), { leftover: '/data/.tmp-rm-d' }); });
  assert.ok(again.pending().some((e) => e.kind === 'remove-path' && e.target === '/data/.tmp-rm-d'));
  fs.rmSync(dir, { recursive: true });
});

test('replay: done entries go, failing ones stay, unknown kinds stay, in-use ones are dropped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cj-'));
  const file = path.join(dir, 'pending-cleanups.json');
  const log = memLogger();
  const j = new CleanupJournal(file, log);
  for (const t of ['ok', 'bad', 'inuse']) j.fail('snapshot-remove', t, new Error('x'));
  j.fail('mystery', 'm', new Error('x'));
  const r = await j.replay({ 'snapshot-remove': (t) => { if (t === 'bad') throw new Error('still busy'); } }, (e) => e.target === 'inuse');
  assert.deepEqual(r.done.map((e) => e.target), ['ok']);
  assert.deepEqual(r.left.map((e) => e.target).sort(), ['bad', 'm']);
  assert.deepEqual(new CleanupJournal(file, memLogger()).pending().map((e) => e.target).sort(), ['bad', 'm']);
  assert.ok(log.lines.some((l) => l.includes('pending cleanup failed again, kept: snapshot-remove bad: still busy')));
  assert.ok(log.lines.some((l) => l.includes('pending cleanup done: snapshot-remove ok')));
  // All done: the file goes.
  const k = new CleanupJournal(file, memLogger());
  await k.replay({ 'snapshot-remove': () => {}, mystery: () => {} });
  assert.equal(fs.existsSync(file), false);
  fs.rmSync(dir, { recursive: true });
});

test('a torn journal is set aside; remove-path stays inside its roots', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cj-'));
  const file = path.join(dir, 'pending-cleanups.json');
  fs.writeFileSync(file, '[{"kind":');
  const log = memLogger();
  assert.deepEqual(new CleanupJournal(file, log).pending(), []);
  assert.equal(fs.existsSync(file), false);
  assert.ok(fs.readdirSync(dir).some((n) => n.startsWith('pending-cleanups.json.corrupt-')));
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'x'), { recursive: true });
  const rm = removePathWithin([root]);
  await rm(path.join(root, 'x'));
  assert.equal(fs.existsSync(path.join(root, 'x')), false);
  assert.throws(() => rm(path.join(root, '..', 'pending')), /refusing to remove/);
  assert.throws(() => rm(root), /refusing to remove/);
  fs.rmSync(dir, { recursive: true });
});

test('onlyErrno / onlyJsonSyntax rethrow what the caller did not name', () => {
  assert.doesNotThrow(() => onlyErrno(errno('ENOENT'), 'ENOENT'));
  assert.throws(() => onlyErrno(errno('EACCES'), 'ENOENT'), /EACCES/);
  assert.throws(() => onlyErrno(new Error('plain'), 'ENOENT'), /plain/);
  assert.doesNotThrow(() => { try { JSON.parse('{'); } catch (e) { onlyJsonSyntax(e); } });
  assert.throws(() => onlyJsonSyntax(new TypeError('t')), /t/);
});
