/** daemon.json `proxies` / --http-proxy, --https-proxy, --no-proxy, and how they reach the daemon's environment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/daemon/config.ts';
import { configureProxyEnv } from '../../src/daemon/proxy-env.ts';
import { silentLogger, type Logger } from '../../src/common/logger.ts';

function tmpFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cfg-'));
  const f = path.join(dir, 'daemon.json');
  fs.writeFileSync(f, JSON.stringify(content));
  return f;
}

test('daemon.json proxies (docker\'s keys) and the flags merge; one key twice is refused', () => {
  const f = tmpFile({ proxies: { 'http-proxy': 'http://a:1', 'no-proxy': '.corp' } });
  const cfg = loadConfig(['--config-file', f, '--https-proxy', 'http://b:2']);
  assert.deepEqual(cfg.proxies, { 'http-proxy': 'http://a:1', 'no-proxy': '.corp', 'https-proxy': 'http://b:2' });
  assert.deepEqual(loadConfig(['--config-file', tmpFile({}), '--no-proxy', 'x,y']).proxies, { 'no-proxy': 'x,y' });
  assert.deepEqual(loadConfig(['--config-file', tmpFile({})]).proxies, {});
  assert.throws(() => loadConfig(['--config-file', f, '--http-proxy', 'http://c:3']), (e: Error) => e instanceof ConfigError && /specified both as a flag and in the configuration file: http-proxy/.test(e.message));
  assert.throws(() => loadConfig(['--config-file', tmpFile({ proxies: { 'http_proxy': 'x' } })]), /don't match any configuration option: proxies\.http_proxy/);
  assert.throws(() => loadConfig(['--config-file', tmpFile({ proxies: { 'http-proxy': 3 } })]), /proxies\.http-proxy/);
});

test('configured proxies override the environment (both cases), with a masked warning', () => {
  const warnings: unknown[] = [];
  const logger: Logger = { ...silentLogger, warn: (m, f) => { warnings.push([m, f]); } };
  const env: NodeJS.ProcessEnv = { HTTP_PROXY: 'http://old:1', https_proxy: 'http://keep:2' };
  const cfg = loadConfig(['--config-file', tmpFile({ proxies: { 'http-proxy': 'http://u:pw@new:3', 'no-proxy': 'a.example' } })]);
  const eff = configureProxyEnv(cfg, logger, env);
  assert.deepEqual(eff, { httpProxy: 'http://u:pw@new:3', httpsProxy: 'http://keep:2', noProxy: 'a.example' });
  assert.equal(env.http_proxy, 'http://u:pw@new:3');
  assert.equal(env.NO_PROXY, 'a.example');
  assert.equal(warnings.length, 1);
  assert.doesNotMatch(JSON.stringify(warnings), /pw/);
});

test('a proxy that is not an http(s) URL stops the start', () => {
  const cfg = loadConfig(['--config-file', tmpFile({ proxies: { 'https-proxy': 'socks5://s:1080' } })]);
  assert.throws(() => configureProxyEnv(cfg, silentLogger, {}), /invalid HTTPS_PROXY value "socks5:\/\/s:1080": proxy scheme "socks5" is not supported/);
  assert.throws(() => configureProxyEnv(loadConfig(['--config-file', tmpFile({})]), silentLogger, { HTTP_PROXY: 'http://[bad' }), /invalid HTTP_PROXY value/);
});
