/**
 * The daemon.json keys that were accepted and wired to nothing (issue #17): each now does what
 * docker's does, or is refused at start with why. Parsing and refusals here; what they do in a
 * running daemon in test/integration/conformance-drivers.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/daemon/config.ts';

function tmpFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cfg-'));
  const f = path.join(dir, 'daemon.json');
  fs.writeFileSync(f, JSON.stringify(content));
  return f;
}
const refused = (content: unknown, re: RegExp) => assert.throws(() => loadConfig(['--config-file', tmpFile(content)]), (e: Error) => e instanceof ConfigError && re.test(e.message));

test('the wired keys are read from the file', () => {
  const cfg = loadConfig(['--config-file', tmpFile({
    'dns-search': ['example.org'], 'default-shm-size': '128m', labels: ['a=1', 'b=2'], 'max-concurrent-downloads': 1, 'max-concurrent-uploads': 2,
    'ip-forward': false, 'default-runtime': 'runc', 'userland-proxy': false,
  })]);
  assert.deepEqual(cfg.dnsSearch, ['example.org']);
  assert.equal(cfg.defaultShmSize, '128m');
  assert.deepEqual(cfg.labels, ['a=1', 'b=2']);
  assert.equal(cfg.maxConcurrentDownloads, 1);
  assert.equal(cfg.maxConcurrentUploads, 2);
  assert.equal(cfg.ipForward, false);
  assert.equal(cfg.defaultRuntime, 'runc');
  assert.equal(cfg.userlandProxy, false);
});

test('the wired keys have docker flags too', () => {
  const cfg = loadConfig(['--config-file', tmpFile({}), '--default-shm-size', '1g', '--label', 'x=y', '--max-concurrent-downloads', '4', '--max-concurrent-uploads', '6', '--ip-forward', 'false']);
  assert.equal(cfg.defaultShmSize, '1g');
  assert.deepEqual(cfg.labels, ['x=y']);
  assert.equal(cfg.maxConcurrentDownloads, 4);
  assert.equal(cfg.maxConcurrentUploads, 6);
  assert.equal(cfg.ipForward, false);
});

test('userland-proxy true is refused with why (ports are kernel NAT only); false and absent start', () => {
  refused({ 'userland-proxy': true }, /userland-proxy: true is not supported/);
  assert.equal(loadConfig(['--config-file', tmpFile({})]).userlandProxy, false);
});

test('runtimes other than the built-in runc are refused with why; {} is accepted', () => {
  refused({ runtimes: { crun: { path: '/usr/bin/crun' } } }, /runtimes: not supported.*"crun"/);
  assert.deepEqual(loadConfig(['--config-file', tmpFile({ runtimes: {} })]).runtimes, {});
});

test('bad values of the wired keys are refused at start', () => {
  refused({ 'default-shm-size': 'lots' }, /invalid default-shm-size "lots"/);
  refused({ 'default-shm-size': '0' }, /invalid default-shm-size "0": must be more than 0/);
  refused({ labels: ['novalue'] }, /bad attribute format: novalue/);
  refused({ labels: ['a=1', 'a=2'] }, /conflict labels for a=1 and a=2/);
  refused({ 'max-concurrent-downloads': 0 }, /invalid max concurrent downloads: 0/);
  refused({ 'max-concurrent-uploads': -1 }, /invalid max concurrent uploads: -1/);
});
