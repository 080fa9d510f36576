/**
 * Registry credentials for the CLI's commands: which config.json key a registry's login is
 * kept under (docker's: the index server URL for Docker Hub, else `host[:port]`), and the
 * `X-Registry-Auth` header (base64url JSON) the Engine API takes for pull/push/search.
 * Storage (file or credential helper) is credentials.ts; the file itself config-file.ts.
 */
import { splitDockerDomain } from '../common/reference.ts';
import type { LoadedConfig } from './config-file.ts';
import { getCredentialsOrNone, type AuthConfig } from './credentials.ts';

export type { AuthConfig } from './credentials.ts';
export { configDir, configPath, readConfig, writeConfig, type ConfigFile } from './config-file.ts';

export const INDEX_SERVER = 'https://index.docker.io/v1/';

/** The key credentials are stored under: docker.io → the index server URL; others → host. */
export function serverKey(server: string | undefined): string {
  if (!server || server === 'docker.io' || server === 'index.docker.io' || server === 'registry-1.docker.io' || server === INDEX_SERVER) return INDEX_SERVER;
  return server.replace(/^https?:\/\//, '').replace(/\/+$/, '').replace(/\/v[12]$/, '');
}

/** The registry host of an image name as typed (`localhost:5000/x` → `localhost:5000`). */
export function registryOf(image: string): string {
  return serverKey(splitDockerDomain(image).domain);
}

/** `X-Registry-Auth` header value: Go's padded base64.URLEncoding of the JSON auth config. */
export function encodeAuthHeader(a: AuthConfig | Record<string, AuthConfig> | undefined): string {
  return Buffer.from(JSON.stringify(a ?? {})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Headers for a pull/push of `image` from the stored credentials (none when a helper fails, as docker). */
export function authHeaders(image: string, loaded: LoadedConfig): Record<string, string> {
  const key = registryOf(image);
  const creds = getCredentialsOrNone(loaded, key);
  return { 'X-Registry-Auth': encodeAuthHeader(creds ? { ...creds, serveraddress: key } : undefined) };
}
