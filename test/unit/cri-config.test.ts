/** The CRI's daemon options: --cri, --cri-socket, daemon.json `cri`, `cri-registry-mirrors`, CNI dirs; and per-registry mirrors in endpoint resolution. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/daemon/config.ts';
import { endpointsFor } from '../../src/registry/client/endpoints.ts';

function tmpFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cri-cfg-'));
  const f = path.join(dir, 'daemon.json');
  fs.writeFileSync(f, JSON.stringify(content));
  return f;
}

test('the CRI is off by default; --cri serves it on /run/wharf/cri.sock', () => {
  const off = loadConfig([]);
  assert.equal(off.cri, false);
  const on = loadConfig(['--cri']);
  assert.equal(on.cri, true);
  assert.equal(on.criSocket, '/run/wharf/cri.sock');
  assert.equal(on.cniConfDir, '/etc/cni/net.d');
  assert.equal(on.criStreamingAddress, '127.0.0.1:0');
  assert.equal(loadConfig(['--cri', '--cri-streaming-address', '10.0.0.5:10010']).criStreamingAddress, '10.0.0.5:10010');
});

test('--cri-socket takes a path or unix:// URL and implies --cri; a relative path is refused', () => {
  assert.deepEqual([loadConfig(['--cri-socket', '/tmp/k.sock']).cri, loadConfig(['--cri-socket', '/tmp/k.sock']).criSocket], [true, '/tmp/k.sock']);
  assert.equal(loadConfig(['--cri-socket', 'unix:///tmp/k.sock']).criSocket, '/tmp/k.sock');
  assert.throws(() => loadConfig(['--cri-socket', 'k.sock']), ConfigError);
});

test('daemon.json: cri, cri-socket, cri-registry-mirrors, cni dirs; a bad mirror map is refused', () => {
  const cfg = loadConfig(['--config-file', tmpFile({ cri: true, 'cri-registry-mirrors': { 'registry.k8s.io': ['http://127.0.0.1:5000'] }, 'cni-conf-dir': '/etc/x', 'cni-bin-dir': '/a:/b' })]);
  assert.equal(cfg.cri, true);
  assert.deepEqual(cfg.criRegistryMirrors, { 'registry.k8s.io': ['http://127.0.0.1:5000'] });
  assert.equal(cfg.cniConfDir, '/etc/x');
  assert.equal(cfg.cniBinDir, '/a:/b');
  assert.throws(() => loadConfig(['--config-file', tmpFile({ 'cri-registry-mirrors': { 'gcr.io': 'http://x' } })]), /must map to a list of URLs/);
  assert.throws(() => loadConfig(['--config-file', tmpFile({ 'cri-registry-mirrors': { 'gcr.io': ['ftp://x'] } })]), /unsupported scheme/);
  assert.throws(() => loadConfig(['--config-file', tmpFile({ cri: true }), '--cri']), /both as a flag and in the configuration file/);
});

test('per-registry mirrors come first for pulls of that registry only, never for pushes', () => {
  const cfg = { hostMirrors: { 'registry.k8s.io': ['http://127.0.0.1:5000'], 'docker.io': ['https://hub-mirror.example'] }, mirrors: ['https://m.example'] };
  assert.deepEqual(endpointsFor('registry.k8s.io', cfg).map((e) => [e.url, e.mirror]), [['http://127.0.0.1:5000', true], ['https://registry.k8s.io', false]]);
  assert.deepEqual(endpointsFor('gcr.io', cfg).map((e) => e.url), ['https://gcr.io']);
  assert.deepEqual(endpointsFor('docker.io', cfg).map((e) => e.url), ['https://hub-mirror.example', 'https://m.example', 'https://registry-1.docker.io']);
  assert.deepEqual(endpointsFor('registry.k8s.io', cfg, true).map((e) => e.url), ['https://registry.k8s.io']);
});
