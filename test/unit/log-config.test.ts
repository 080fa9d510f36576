/** Which log driver a container gets: daemon defaults merged as moby does, drivers refused with docker's words. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkLogDriver, checkReadable, logPathFor, mergeLogConfig, runtimeLogSpec } from '../../src/engine/containers/log-config.ts';

test('the daemon\'s driver when none is named; its options only under a container of the same driver', () => {
  assert.deepEqual(mergeLogConfig({ Type: '', Config: {} }, 'json-file', { 'max-size': '1m' }), { Type: 'json-file', Config: { 'max-size': '1m' } });
  assert.deepEqual(mergeLogConfig({ Type: '', Config: { 'max-size': '2m' } }, 'json-file', { 'max-size': '1m', 'max-file': '3' }), { Type: 'json-file', Config: { 'max-size': '2m', 'max-file': '3' } });
  assert.deepEqual(mergeLogConfig({ Type: 'none', Config: {} }, 'json-file', { 'max-size': '1m' }), { Type: 'none', Config: {} });
  assert.deepEqual(mergeLogConfig({ Type: '', Config: {} }, 'none', {}), { Type: 'none', Config: {} });
});

test('drivers: local and unknown ones refused, journald only with a journal', () => {
  for (const t of ['json-file', 'k8s-file', 'none']) checkLogDriver(t);
  assert.throws(() => checkLogDriver('local'), /local log driver is not supported/);
  assert.throws(() => checkLogDriver('syslog'), /error looking up logging plugin syslog: plugin "syslog" not found/);
  assert.throws(() => checkLogDriver('journald', '/nonexistent/journal/socket'), /journald is not enabled on this host/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-journal-'));
  fs.writeFileSync(path.join(dir, 'socket'), '');
  checkLogDriver('journald', path.join(dir, 'socket'));
  fs.rmSync(dir, { recursive: true });
});

test('LogPath and the runtime\'s log per driver; none and journald are not readable', () => {
  assert.equal(logPathFor('json-file', '/d', 'abc'), '/d/abc-json.log');
  assert.equal(logPathFor('k8s-file', '/d', 'abc'), '/d/abc.log');
  assert.equal(logPathFor('none', '/d', 'abc'), '');
  assert.equal(logPathFor('journald', '/d', 'abc'), '');
  assert.deepEqual(runtimeLogSpec({ Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '3' } }, '/d/x', '/n'), { driver: 'json-file', path: '/d/x', maxSize: 1000, maxFile: 3 });
  assert.deepEqual(runtimeLogSpec({ Type: 'json-file', Config: {} }, '/d/x', '/n'), { driver: 'json-file', path: '/d/x', maxSize: undefined, maxFile: undefined });
  assert.deepEqual(runtimeLogSpec({ Type: 'k8s-file', Config: { 'max-size': '1k' } }, '/d/x', '/n'), { driver: 'k8s-file', path: '/d/x' });
  assert.deepEqual(runtimeLogSpec({ Type: 'journald', Config: { tag: 'web' } }, '', '/n'), { driver: 'journald', name: 'n', tag: 'web' });
  assert.deepEqual(runtimeLogSpec({ Type: 'none', Config: {} }, '', '/n'), { driver: 'none' });
  assert.throws(() => checkReadable({ Type: 'none', Config: {} }), (e: Error & { status?: number }) => e.status === 501 && e.message === 'configured logging driver does not support reading');
  checkReadable({ Type: 'json-file', Config: {} });
});
