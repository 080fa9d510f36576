import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, reloadConfig, ConfigError } from '../../src/daemon/config.ts';

function tmpFile(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cfg-'));
  const f = path.join(dir, 'daemon.json');
  fs.writeFileSync(f, content);
  return f;
}

test('defaults: default socket, data root, overlay2', () => {
  const cfg = loadConfig([]);
  assert.deepEqual(cfg.hosts, ['unix:///run/wharf/wharf.sock']);
  assert.equal(cfg.dataRoot, '/var/lib/wharf');
  assert.equal(cfg.execRoot, '/run/wharf');
  assert.equal(cfg.storageDriver, 'overlay2');
});

test('flags and file merge with docker key names', () => {
  const f = tmpFile(JSON.stringify({ 'registry-mirrors': ['http://127.0.0.1:5000'], 'insecure-registries': ['myreg:5000'], debug: true }));
  const cfg = loadConfig(['--config-file', f, '--data-root', '/tmp/x', '-H', 'unix:///tmp/a.sock', '-H', 'tcp://127.0.0.1:2375', '--insecure-tcp']);
  assert.deepEqual(cfg.registryMirrors, ['http://127.0.0.1:5000']);
  assert.deepEqual(cfg.insecureRegistries, ['myreg:5000']);
  assert.equal(cfg.debug, true);
  assert.equal(cfg.logLevel, 'debug');
  assert.equal(cfg.dataRoot, '/tmp/x');
  assert.deepEqual(cfg.hosts, ['unix:///tmp/a.sock', 'tcp://127.0.0.1:2375']);
});

test('unknown keys in daemon.json are a clear error', () => {
  const f = tmpFile(JSON.stringify({ 'no-such-key': 1, debug: true }));
  assert.throws(() => loadConfig(['--config-file', f]), (e: Error) => e instanceof ConfigError && /don't match any configuration option: no-such-key/.test(e.message));
});

test('a key given as flag and in the file is a conflict', () => {
  const f = tmpFile(JSON.stringify({ 'data-root': '/a' }));
  assert.throws(() => loadConfig(['--config-file', f, '--data-root', '/b']), (e: Error) => /specified both as a flag and in the configuration file: data-root: \(from flag: \/b, from file: \/a\)/.test(e.message));
});

test('malformed JSON and wrong value types are errors', () => {
  assert.throws(() => loadConfig(['--config-file', tmpFile('{"debug": ')]), ConfigError);
  assert.throws(() => loadConfig(['--config-file', tmpFile('{"debug": "yes"}')]), /invalid value for "debug"/);
});

test('an explicit config file that does not exist is an error', () => {
  assert.throws(() => loadConfig(['--config-file', '/nonexistent/daemon.json']), ConfigError);
});

test('TLS flags: --tlsverify needs the three files', () => {
  assert.throws(() => loadConfig(['--config-file', tmpFile('{}'), '--tlsverify', '--tlscert', 'c.pem']), /TLS needs/);
  const cfg = loadConfig(['--config-file', tmpFile('{}'), '--tlsverify', '--tlscert', 'c', '--tlskey', 'k', '--tlscacert', 'ca']);
  assert.equal(cfg.tls, true);
});

test('reload re-reads registry-mirrors, insecure-registries and debug only', () => {
  const f = tmpFile(JSON.stringify({ 'registry-mirrors': ['http://a'] }));
  const cfg = loadConfig(['--config-file', f, '--data-root', '/x']);
  fs.writeFileSync(f, JSON.stringify({ 'registry-mirrors': ['http://b'], 'insecure-registries': ['r:1'], debug: true, 'data-root': '/y' }));
  const changed = reloadConfig(cfg);
  assert.deepEqual(cfg.registryMirrors, ['http://b']);
  assert.deepEqual(cfg.insecureRegistries, ['r:1']);
  assert.equal(cfg.debug, true);
  assert.equal(cfg.dataRoot, '/x');
  assert.ok(changed.includes('registryMirrors'));
});
