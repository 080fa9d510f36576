/**
 * Registry credentials for the CLI, kept like docker's config.json:
 * `{"auths": {"<server>": {"auth": base64("user:password")}}}` in `--config DIR`,
 * `$WHARF_CONFIG`, `$DOCKER_CONFIG` or `~/.wharf/`, and the `X-Registry-Auth` header
 * (base64url JSON) the Engine API takes for pull/push.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitDockerDomain } from '../common/reference.ts';

export const INDEX_SERVER = 'https://index.docker.io/v1/';

export interface AuthConfig { username?: string; password?: string; serveraddress?: string; identitytoken?: string; auth?: string }

export interface ConfigFile { auths?: Record<string, { auth?: string; identitytoken?: string }>; [k: string]: unknown }

export function configDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.WHARF_CONFIG ?? env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.wharf');
}

export function configPath(dir: string): string {
  return path.join(dir, 'config.json');
}

export function readConfig(dir: string): ConfigFile {
  try {
    return JSON.parse(fs.readFileSync(configPath(dir), 'utf8')) as ConfigFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`loading config file: ${configPath(dir)}: ${(e as Error).message}`);
  }
}

/** Writes atomically with mode 0600. */
export function writeConfig(dir: string, cfg: ConfigFile): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = configPath(dir) + `.tmp${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  fs.renameSync(tmp, configPath(dir));
}

/** The key credentials are stored under: docker.io → the index server URL; others → host. */
export function serverKey(server: string | undefined): string {
  if (!server || server === 'docker.io' || server === 'index.docker.io' || server === 'registry-1.docker.io' || server === INDEX_SERVER) return INDEX_SERVER;
  return server.replace(/^https?:\/\//, '').replace(/\/+$/, '').replace(/\/v[12]$/, '');
}

/** The registry host of an image name as typed (`localhost:5000/x` → `localhost:5000`). */
export function registryOf(image: string): string {
  return serverKey(splitDockerDomain(image).domain);
}

export function storeCredentials(cfg: ConfigFile, server: string, username: string, password: string, identityToken?: string): ConfigFile {
  const auths = { ...(cfg.auths ?? {}) };
  auths[serverKey(server)] = identityToken
    ? { auth: Buffer.from(`${username}:`).toString('base64'), identitytoken: identityToken }
    : { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  return { ...cfg, auths };
}

/** Removes the entry; returns whether there was one. */
export function eraseCredentials(cfg: ConfigFile, server: string): boolean {
  const key = serverKey(server);
  if (!cfg.auths?.[key]) return false;
  delete cfg.auths[key];
  return true;
}

export function lookupCredentials(cfg: ConfigFile, server: string): AuthConfig | undefined {
  const key = serverKey(server);
  const entry = cfg.auths?.[key] ?? cfg.auths?.[`https://${key}`] ?? cfg.auths?.[`http://${key}`];
  if (!entry?.auth && !entry?.identitytoken) return undefined;
  const decoded = Buffer.from(entry.auth ?? '', 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return {
    username: i < 0 ? decoded : decoded.slice(0, i),
    password: i < 0 ? '' : decoded.slice(i + 1),
    serveraddress: key,
    ...(entry.identitytoken ? { identitytoken: entry.identitytoken } : {}),
  };
}

/** `X-Registry-Auth` header value: Go's padded base64.URLEncoding of the JSON auth config. */
export function encodeAuthHeader(a: AuthConfig | undefined): string {
  return Buffer.from(JSON.stringify(a ?? {})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Headers for a pull/push of `image` from the stored credentials. */
export function authHeaders(image: string, dir: string): Record<string, string> {
  let creds: AuthConfig | undefined;
  try { creds = lookupCredentials(readConfig(dir), registryOf(image)); } catch { creds = undefined; }
  return { 'X-Registry-Auth': encodeAuthHeader(creds) };
}
