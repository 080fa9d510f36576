/**
 * Registry credentials the way the docker CLI keeps them: in config.json's `auths`
 * (base64 "user:password" in `auth`), or through a credential helper named by `credsStore`
 * (every registry) or `credHelpers` (per registry): the program `docker-credential-<name>`,
 * driven by docker's protocol — `store` (JSON {ServerURL, Username, Secret} on stdin),
 * `get` (server URL on stdin, that JSON on stdout), `erase` (server URL on stdin) and
 * `list` (JSON {url: username} on stdout). A helper that fails prints its message on stdout;
 * "credentials not found in native keychain" means none stored. With a helper, the file
 * keeps an empty `auths` entry per registry, as docker writes it (logout looks for it).
 */
import { spawnSync } from 'node:child_process';
import type { AuthEntry, ConfigFile, LoadedConfig } from './config-file.ts';
import type { AuthConfig } from '../api/types/auth-config.ts';
export type { AuthConfig };

/** A credential helper's username for an identity token (docker's tokenUsername). */
const TOKEN_USERNAME = '<token>';
const NOT_FOUND = 'credentials not found in native keychain';

/** `https://host/v1/` → `host` (docker's ConvertToHostname). */
export function convertToHostname(url: string): string {
  let s = url;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  const i = s.indexOf('/');
  return i < 0 ? s : s.slice(0, i);
}

/** The helper that serves `server`: `credHelpers[server]`, else `credsStore`, else none (the file). */
export function helperFor(cfg: ConfigFile, server: string): string | undefined {
  const h = cfg.credHelpers && server && Object.prototype.hasOwnProperty.call(cfg.credHelpers, server) ? cfg.credHelpers[server] : undefined;
  return (typeof h === 'string' && h) || (typeof cfg.credsStore === 'string' && cfg.credsStore) || undefined;
}

export class CredentialHelperError extends Error {}

/** Runs `docker-credential-<name> <action>` with `input` on stdin; returns stdout. */
export function runHelper(name: string, action: 'get' | 'store' | 'erase' | 'list', input: string): { ok: true; out: string } | { ok: false; out: string; err: string } {
  const program = `docker-credential-${name}`;
  const r = spawnSync(program, [action], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000, maxBuffer: 16 << 20 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const err = code === 'ENOENT' ? `exec: "${program}": executable file not found in $PATH` : r.error.message;
    return { ok: false, out: '', err };
  }
  if (r.status !== 0) return { ok: false, out: (r.stdout ?? '').trim(), err: r.signal ? `signal: ${r.signal}` : `exit status ${r.status}` };
  return { ok: true, out: r.stdout ?? '' };
}

function decodeEntry(server: string, e: AuthEntry): AuthConfig {
  const out: AuthConfig = {};
  if (e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) throw new Error('invalid auth configuration file');
    out.username = decoded.slice(0, i);
    out.password = decoded.slice(i + 1).replace(/\0+$/, '');
  } else {
    if (e.username) out.username = e.username;
    if (e.password) out.password = e.password;
  }
  if (e.email) out.email = e.email;
  if (e.identitytoken) out.identitytoken = e.identitytoken;
  if (e.registrytoken) out.registrytoken = e.registrytoken;
  out.serveraddress = server;
  return out;
}

function encodeEntry(a: AuthConfig): AuthEntry {
  const e: AuthEntry = {};
  if (a.username || a.password) e.auth = Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64');
  if (a.email) e.email = a.email;
  if (a.identitytoken) e.identitytoken = a.identitytoken;
  if (a.registrytoken) e.registrytoken = a.registrytoken;
  return e;
}

function fileEntry(cfg: ConfigFile, server: string): [string, AuthEntry] | undefined {
  const auths = cfg.auths ?? {};
  if (Object.prototype.hasOwnProperty.call(auths, server)) return [server, auths[server]!];
  for (const [k, v] of Object.entries(auths)) if (convertToHostname(k) === server) return [k, v];
  return undefined;
}

/** docker's file store Get: the exact key, else a key whose hostname is `server`. */
function fileGet(cfg: ConfigFile, server: string): AuthConfig | undefined {
  const e = fileEntry(cfg, server);
  if (!e || !e[1] || typeof e[1] !== 'object') return undefined;
  const a = decodeEntry(server, e[1]);
  return a.username || a.password || a.identitytoken || a.registrytoken ? a : undefined;
}

function helperGet(name: string, server: string): AuthConfig | undefined {
  const r = runHelper(name, 'get', server);
  if (!r.ok) {
    if (r.out === NOT_FOUND) return undefined;
    throw new CredentialHelperError(`error getting credentials - err: ${r.err}, out: \`${r.out}\``);
  }
  let doc: { ServerURL?: string; Username?: string; Secret?: string };
  try {
    doc = JSON.parse(r.out);
  } catch (e) {
    throw new CredentialHelperError(`error getting credentials - err: ${(e as Error).message}, out: \`${r.out.trim()}\``);
  }
  if (!doc.Username && !doc.Secret) return undefined;
  return doc.Username === TOKEN_USERNAME
    ? { identitytoken: doc.Secret ?? '', serveraddress: server }
    : { username: doc.Username ?? '', password: doc.Secret ?? '', serveraddress: server };
}

/** The credentials config.json gives for one registry key (the helper's, or the file's). */
export function getCredentials(loaded: LoadedConfig, server: string): AuthConfig | undefined {
  const helper = helperFor(loaded.cfg, server);
  let found: AuthConfig | undefined;
  if (helper) {
    found = helperGet(helper, server);
    const email = loaded.cfg.auths?.[server]?.email;
    if (found && email) found.email = email;
  } else {
    found = fileGet(loaded.cfg, server);
  }
  if (!found && loaded.legacy) found = fileGet(loaded.legacy.cfg, server);
  return found;
}

/** Like getCredentials, but a failing helper means no credentials (docker's pull/push). */
export function getCredentialsOrNone(loaded: LoadedConfig, server: string): AuthConfig | undefined {
  try {
    return getCredentials(loaded, server);
  } catch {
    return undefined;
  }
}

/** Every stored login (docker's GetAllCredentials), for a build's X-Registry-Config. */
export function getAllCredentials(loaded: LoadedConfig): Record<string, AuthConfig> {
  const out: Record<string, AuthConfig> = {};
  if (loaded.legacy) for (const k of Object.keys(loaded.legacy.cfg.auths ?? {})) { const a = fileGet(loaded.legacy.cfg, k); if (a) out[k] = a; }
  const store = loaded.cfg.credsStore;
  if (store) {
    const r = runHelper(store, 'list', '');
    if (!r.ok) throw new CredentialHelperError(`error listing credentials - err: ${r.err}, out: \`${r.out}\``);
    let listed: Record<string, string> = {};
    try { listed = JSON.parse(r.out || '{}'); } catch { listed = {}; }
    for (const server of Object.keys(listed)) { const a = helperGet(store, server); if (a) out[server] = a; }
  } else {
    for (const k of Object.keys(loaded.cfg.auths ?? {})) { const a = fileGet(loaded.cfg, k); if (a) out[k] = a; }
  }
  for (const server of Object.keys(loaded.cfg.credHelpers ?? {})) {
    const a = getCredentials(loaded, server);
    if (a) out[server] = a;
  }
  return out;
}

/**
 * Stores a login under `server` (changes `loaded.cfg`; the caller writes it). With a helper
 * the secret goes to the helper and the file keeps `{}` for the key; else base64 in `auth`.
 * Returns whether the password lands in the file unencrypted.
 */
export function storeCredentials(loaded: LoadedConfig, server: string, a: AuthConfig): { plaintext: boolean } {
  const cfg = loaded.cfg;
  const auths = (cfg.auths ??= {});
  const helper = helperFor(cfg, server);
  if (helper) {
    const body = a.identitytoken
      ? { ServerURL: server, Username: TOKEN_USERNAME, Secret: a.identitytoken }
      : { ServerURL: server, Username: a.username ?? '', Secret: a.password ?? '' };
    const r = runHelper(helper, 'store', JSON.stringify(body));
    if (!r.ok) throw new CredentialHelperError(`error storing credentials - err: ${r.err}, out: \`${r.out}\``);
    auths[server] = a.email ? { email: a.email } : {};
    return { plaintext: false };
  }
  auths[server] = encodeEntry(a.identitytoken ? { ...a, password: '' } : a);
  return { plaintext: !a.identitytoken && !!a.password };
}

/** The keys `logout SERVER` removes: docker tries `host`, `http://host`, `https://host`. */
export function loggedInKeys(loaded: LoadedConfig, server: string, isIndex: boolean): string[] {
  const tries = isIndex ? [server] : [server, `http://${server}`, `https://${server}`];
  const has = (cfg: ConfigFile | undefined, k: string) => !!cfg?.auths && Object.prototype.hasOwnProperty.call(cfg.auths, k);
  return tries.filter((k) => has(loaded.cfg, k) || has(loaded.legacy?.cfg, k));
}

/**
 * Erases one key (changes `loaded.cfg` and the legacy file's copy; the caller writes the
 * config). A helper's failure is returned as a warning, the file entry goes regardless.
 */
export function eraseCredentials(loaded: LoadedConfig, key: string): string | undefined {
  let warning: string | undefined;
  const helper = helperFor(loaded.cfg, key);
  if (helper && loaded.cfg.auths && Object.prototype.hasOwnProperty.call(loaded.cfg.auths, key)) {
    const r = runHelper(helper, 'erase', key);
    if (!r.ok && r.out !== NOT_FOUND) warning = `error erasing credentials - err: ${r.err}, out: \`${r.out}\``;
  }
  if (loaded.cfg.auths) delete loaded.cfg.auths[key];
  if (loaded.legacy?.cfg.auths && Object.prototype.hasOwnProperty.call(loaded.legacy.cfg.auths, key)) {
    delete loaded.legacy.cfg.auths[key];
    loaded.legacy.dirty = true;
  }
  return warning;
}
