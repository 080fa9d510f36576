/**
 * The client's config file, shared with the docker CLI: `config.json` in `--config DIR`,
 * `$DOCKER_CONFIG` or `~/.docker` (`$WHARF_CONFIG` is still honoured). Keys wharf reads:
 * `auths`, `credsStore`, `credHelpers`, `detachKeys`, `psFormat`, `imagesFormat`, `proxies`;
 * every other key is kept as it was when the file is written back.
 *
 * Before this file moved, wharf kept it in `~/.wharf/config.json`. When the default location
 * is in use and `~/.docker/config.json` does not exist yet, the old file is copied there once
 * (it stays where it was); when both exist, logins only the old file holds are still read
 * (see credentials.ts), so nobody loses a login.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface AuthEntry { auth?: string; identitytoken?: string; registrytoken?: string; email?: string; username?: string; password?: string }

/** One entry of `proxies` (docker's ProxyConfig keys). */
export interface ProxyEntry { httpProxy?: string; httpsProxy?: string; noProxy?: string; ftpProxy?: string; allProxy?: string }

export interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  detachKeys?: string;
  psFormat?: string;
  imagesFormat?: string;
  proxies?: Record<string, ProxyEntry>;
  [k: string]: unknown;
}

export interface LoadedConfig {
  dir: string;
  file: string;
  cfg: ConfigFile;
  /** `~/.wharf/config.json`'s contents when the default location is in use and it exists. */
  legacy?: { file: string; cfg: ConfigFile; dirty?: boolean };
}

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || os.homedir();
}

/** Whether neither the flag nor an environment variable moved the config directory. */
export function isDefaultDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return !flag && !env.WHARF_CONFIG && !env.DOCKER_CONFIG;
}

export function configDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.WHARF_CONFIG || env.DOCKER_CONFIG || path.join(homeDir(env), '.docker');
}

export function configPath(dir: string): string {
  return path.join(dir, 'config.json');
}

export function legacyConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(homeDir(env), '.wharf', 'config.json');
}

function parse(file: string, text: string): ConfigFile {
  let v: unknown;
  try {
    v = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new Error(`loading config file: ${file}: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`loading config file: ${file}: not a JSON object`);
  const cfg = v as ConfigFile;
  for (const k of ['auths', 'credHelpers', 'proxies'] as const) {
    const x = cfg[k];
    if (x !== undefined && (x === null || typeof x !== 'object' || Array.isArray(x))) throw new Error(`loading config file: ${file}: "${k}" must be an object`);
  }
  return cfg;
}

function readFileOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`loading config file: ${file}: ${(e as Error).message}`);
  }
}

/** Reads just the file (no migration); a missing file is `{}`. */
export function readConfig(dir: string): ConfigFile {
  const file = configPath(dir);
  const text = readFileOrUndefined(file);
  return text === undefined ? {} : parse(file, text);
}

/**
 * Loads the config of `--config` (or the environment / default). At the default location an
 * old `~/.wharf/config.json` is copied to `~/.docker/config.json` when that does not exist,
 * and otherwise returned as `legacy` for credential look-ups.
 */
export function loadConfig(flag?: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const dir = configDir(flag, env);
  const file = configPath(dir);
  let text = readFileOrUndefined(file);
  let legacy: LoadedConfig['legacy'];
  if (isDefaultDir(flag, env)) {
    const lfile = legacyConfigPath(env);
    const ltext = readFileOrUndefined(lfile);
    if (ltext !== undefined) {
      const lcfg = parse(lfile, ltext);
      if (text === undefined) {
        try {
          writeConfigFile(file, lcfg);
          text = readFileOrUndefined(file);
        } catch {
          legacy = { file: lfile, cfg: lcfg }; // read-only home: keep reading the old file
        }
      } else {
        legacy = { file: lfile, cfg: lcfg };
      }
    }
  }
  return { dir, file, cfg: text === undefined ? {} : parse(file, text), ...(legacy ? { legacy } : {}) };
}

/**
 * Writes atomically (temp file + rename) with mode 0600, through a symlinked config.json to
 * its target as docker does, keeping the existing file's mode when it has one.
 */
export function writeConfigFile(file: string, cfg: ConfigFile): void {
  let target = file;
  try { target = fs.realpathSync(file); } catch { /* does not exist yet */ }
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  let mode = 0o600;
  try { mode = fs.statSync(target).mode & 0o777; } catch { /* new file */ }
  const tmp = `${target}.tmp${process.pid}`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode });
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeConfig(dir: string, cfg: ConfigFile): void {
  writeConfigFile(configPath(dir), cfg);
}

/** Writes the config back, and the old `~/.wharf` file when a logout changed it. */
export function saveConfig(loaded: LoadedConfig): void {
  writeConfigFile(loaded.file, loaded.cfg);
  if (loaded.legacy?.dirty) {
    writeConfigFile(loaded.legacy.file, loaded.legacy.cfg);
    loaded.legacy.dirty = false;
  }
}

/** The `proxies` entry for a daemon host (`tcp://…`) or `default` (docker's ParseProxyConfig). */
export function proxyEntry(cfg: ConfigFile, daemonHost: string | undefined): ProxyEntry | undefined {
  const p = cfg.proxies;
  if (!p) return undefined;
  return (daemonHost && Object.prototype.hasOwnProperty.call(p, daemonHost) ? p[daemonHost] : p.default) ?? undefined;
}

/**
 * Proxy variables for a build (`--build-arg`) or a container (`-e`): `HTTP_PROXY` and
 * `http_proxy` … from the config, except names already given (`given` holds the names).
 */
export function proxyVariables(entry: ProxyEntry | undefined, given: Set<string>): [string, string][] {
  if (!entry) return [];
  const out: [string, string][] = [];
  const pairs: [string, string | undefined][] = [
    ['HTTP_PROXY', entry.httpProxy], ['HTTPS_PROXY', entry.httpsProxy], ['NO_PROXY', entry.noProxy], ['FTP_PROXY', entry.ftpProxy], ['ALL_PROXY', entry.allProxy],
  ];
  for (const [k, v] of pairs) {
    if (typeof v !== 'string' || v === '') continue;
    for (const name of [k, k.toLowerCase()]) if (!given.has(name)) out.push([name, v]);
  }
  return out;
}
