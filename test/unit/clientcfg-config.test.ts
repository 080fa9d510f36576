/** The client config file's pure parts: where it lives, proxies → variables, helpers by registry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configDir, loadConfig, proxyEntry, proxyVariables, writeConfigFile } from '../../src/cli/config-file.ts';
import { convertToHostname, helperFor } from '../../src/cli/credentials.ts';
import { resolveConnection } from '../../src/client/client.ts';

test('config directory: --config, then $WHARF_CONFIG, $DOCKER_CONFIG, then ~/.docker', () => {
  assert.equal(configDir('/flag', { DOCKER_CONFIG: '/env', HOME: '/h' }), '/flag');
  assert.equal(configDir(undefined, { DOCKER_CONFIG: '/env', HOME: '/h' }), '/env');
  assert.equal(configDir(undefined, { WHARF_CONFIG: '/w', DOCKER_CONFIG: '/env', HOME: '/h' }), '/w');
  assert.equal(configDir(undefined, { DOCKER_CONFIG: '', HOME: '/h' }), '/h/.docker');
});

test('TLS certificates default to the config directory, as docker does', () => {
  const c = resolveConnection({ tlsverify: true, configDir: '/cfg' }, { HOME: '/h' });
  assert.equal(c.tls?.cert, '/cfg/cert.pem');
  assert.equal(resolveConnection({ tlsverify: true, configDir: '/cfg' }, { DOCKER_CERT_PATH: '/certs' }).tls?.key, '/certs/key.pem');
});

test('proxies: the daemon host\'s entry, else default; both cases; names given win', () => {
  const cfg = { proxies: { default: { httpProxy: 'http://d:1', noProxy: 'x' }, 'tcp://h:2376': { httpsProxy: 'http://h:1' } } };
  assert.deepEqual(proxyEntry(cfg, 'tcp://h:2376'), { httpsProxy: 'http://h:1' });
  assert.deepEqual(proxyEntry(cfg, 'unix:///run/wharf/wharf.sock'), { httpProxy: 'http://d:1', noProxy: 'x' });
  assert.deepEqual(proxyVariables(proxyEntry(cfg, undefined), new Set(['http_proxy'])), [['HTTP_PROXY', 'http://d:1'], ['NO_PROXY', 'x'], ['no_proxy', 'x']]);
  assert.deepEqual(proxyVariables(undefined, new Set()), []);
});

test('credential helpers: credHelpers by exact key wins over credsStore', () => {
  assert.equal(helperFor({ credsStore: 'pass', credHelpers: { 'reg:5000': 'gcloud' } }, 'reg:5000'), 'gcloud');
  assert.equal(helperFor({ credsStore: 'pass', credHelpers: { 'reg:5000': 'gcloud' } }, 'other'), 'pass');
  assert.equal(helperFor({}, 'other'), undefined);
  assert.equal(convertToHostname('https://index.docker.io/v1/'), 'index.docker.io');
  assert.equal(convertToHostname('reg:5000'), 'reg:5000');
});

test('writing: atomic, through a symlink to its target, an existing file keeps its mode', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cfgfile-'));
  try {
    const real = path.join(dir, 'real.json');
    fs.writeFileSync(real, '{}', { mode: 0o644 });
    fs.chmodSync(real, 0o644);
    fs.mkdirSync(path.join(dir, 'c'));
    fs.symlinkSync(real, path.join(dir, 'c', 'config.json'));
    writeConfigFile(path.join(dir, 'c', 'config.json'), { psFormat: 'x' });
    assert.ok(fs.lstatSync(path.join(dir, 'c', 'config.json')).isSymbolicLink());
    assert.deepEqual(JSON.parse(fs.readFileSync(real, 'utf8')), { psFormat: 'x' });
    assert.equal(fs.statSync(real).mode & 0o777, 0o644);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['c', 'real.json'], 'no temporary file left');
    assert.throws(() => { fs.writeFileSync(path.join(dir, 'c', 'config.json'), '[]'); loadConfig(path.join(dir, 'c')); }, /not a JSON object/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
