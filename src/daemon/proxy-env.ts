/**
 * The daemon's proxies (docker's configureProxyEnv): daemon.json `proxies` / --http-proxy,
 * --https-proxy, --no-proxy override the daemon's HTTP_PROXY, HTTPS_PROXY and NO_PROXY (upper
 * and lower case, with a warning when that replaces a different value), so that everything
 * the daemon fetches — pulls, pushes, login, search — follows one setting, read from the
 * environment afterwards. A proxy value that is not a URL stops the start.
 */
import type { Logger } from '../common/logger.ts';
import { maskProxyCredentials, parseProxyUrl, proxyFromEnv, type ProxySettings } from '../registry/client/index.ts';
import { ConfigError, type DaemonConfig } from './config.ts';

export function configureProxyEnv(cfg: DaemonConfig, logger: Logger, env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const set = (name: string, val: string) => {
    const old = env[name];
    if (old && old !== val) logger.warn('overriding existing proxy variable with value from configuration', { name, 'old-value': maskProxyCredentials(old), 'new-value': maskProxyCredentials(val) });
    env[name] = val;
  };
  const p = cfg.proxies;
  if (p['http-proxy']) { set('HTTP_PROXY', p['http-proxy']); set('http_proxy', p['http-proxy']); }
  if (p['https-proxy']) { set('HTTPS_PROXY', p['https-proxy']); set('https_proxy', p['https-proxy']); }
  if (p['no-proxy']) { set('NO_PROXY', p['no-proxy']); set('no_proxy', p['no-proxy']); }
  const eff = proxyFromEnv(env);
  for (const [k, v] of [['HTTP_PROXY', eff.httpProxy], ['HTTPS_PROXY', eff.httpsProxy]] as const) {
    if (!v) continue;
    let u: URL;
    try { u = parseProxyUrl(v); } catch { throw new ConfigError(`invalid ${k} value ${JSON.stringify(maskProxyCredentials(v))}: not a URL`); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`invalid ${k} value ${JSON.stringify(maskProxyCredentials(v))}: proxy scheme ${JSON.stringify(u.protocol.slice(0, -1))} is not supported (http or https)`);
  }
  if (eff.httpProxy || eff.httpsProxy) logger.info('proxies', { http: maskProxyCredentials(eff.httpProxy ?? ''), https: maskProxyCredentials(eff.httpsProxy ?? ''), 'no-proxy': eff.noProxy });
  return eff;
}
