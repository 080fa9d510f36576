/**
 * Registry authentication: the caller's credentials (docker's AuthConfig, as carried in the
 * base64url `X-Registry-Auth` header), WWW-Authenticate challenge parsing, and the
 * Authorization header for a request — Basic, or a Bearer token fetched from the challenge's
 * realm (with basic credentials or an identity token) and cached per scope until it expires.
 */
import { InvalidArgumentError } from '../../common/errors.ts';
import { formatRegistryErrors, RegistryUnauthorizedError, type RegistryErrorEntry } from './errors.ts';
import type { HttpRequester } from './transport.ts';
import type { AuthConfig } from '../../api/types/auth-config.ts';
export type { AuthConfig };

/** Decodes an `X-Registry-Auth` header (base64url JSON; standard base64 accepted too). Empty → undefined. */
export function decodeRegistryAuth(header: string | undefined | null): AuthConfig | undefined {
  if (!header || !header.trim()) return undefined;
  let parsed: unknown;
  try {
    const text = Buffer.from(header.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('invalid X-Registry-Auth header: malformed base64url-encoded JSON');
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const a = parsed as Record<string, unknown>;
  const out: AuthConfig = {};
  for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const v = a[k] ?? a[k[0].toUpperCase() + k.slice(1)];
    if (typeof v === 'string' && v) out[k] = v;
  }
  if (!out.username && out.auth) {
    const plain = Buffer.from(out.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      out.username = plain.slice(0, i);
      out.password = plain.slice(i + 1);
    }
  }
  return out;
}

/** Encodes an AuthConfig the way the docker CLI does (base64url JSON). */
export function encodeRegistryAuth(a: AuthConfig): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate` values: `Bearer realm="…",service="…",scope="…"` / `Basic realm="…"`. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  const out: Challenge[] = [];
  for (const v of values) {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(v);
    if (!m) continue;
    const params: Record<string, string> = {};
    const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
    let p: RegExpExecArray | null;
    while ((p = re.exec(m[2]))) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
    out.push({ scheme: m[1].toLowerCase(), params });
  }
  return out;
}

/** Authorization for one registry endpoint, given the challenge its `/v2/` answered with. */
export class EndpointAuth {
  private readonly tokens = new Map<string, { header: string; expires: number }>();
  private readonly pending = new Map<string, Promise<string>>();
  /** A refresh token the token server handed back on login (docker's IdentityToken). */
  lastRefreshToken?: string;

  constructor(
    readonly challenge: Challenge | undefined,
    private readonly creds: AuthConfig | undefined,
    private readonly http: HttpRequester,
    private readonly insecureTls: boolean,
  ) {}

  get hasCredentials(): boolean {
    return !!(this.creds && ((this.creds.username && this.creds.password) || this.creds.identitytoken || this.creds.registrytoken));
  }

  /** The Authorization header for requests needing `scopes`, or undefined when the registry asks for none. */
  async header(scopes: string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      if (!this.creds?.username || !this.creds.password) throw new RegistryUnauthorizedError('no basic auth credentials');
      return 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64');
    }
    if (c.scheme !== 'bearer') throw new RegistryUnauthorizedError(`unsupported authentication scheme ${c.scheme}`);
    if (this.creds?.registrytoken) return `Bearer ${this.creds.registrytoken}`;
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.header;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(scopes).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private async fetchToken(scopes: string[]): Promise<string> {
    const realm = this.challenge!.params.realm;
    if (!realm) throw new RegistryUnauthorizedError('bearer challenge without realm');
    const service = this.challenge!.params.service;
    const url = new URL(realm);
    const headers: Record<string, string> = {};
    let method = 'GET';
    let body: Buffer | undefined;
    if (this.creds?.identitytoken) {
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.creds.identitytoken, client_id: 'wharf' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (this.creds?.username && this.creds.password) {
        url.searchParams.set('account', this.creds.username);
        headers.Authorization = 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64');
      }
    }
    const res = await this.http({ url: url.toString(), method, headers, body, insecureTls: this.insecureTls });
    const text = (await res.buffer(1 << 20)).toString('utf8');
    let doc: Record<string, unknown> = {};
    try {
      doc = JSON.parse(text);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err; // not JSON: the status decides below
    }
    if (res.status === 401 || res.status === 403) {
      const errs = (doc.errors as RegistryErrorEntry[] | undefined) ?? [];
      const msg = errs.length ? formatRegistryErrors(errs) : typeof doc.details === 'string' ? `unauthorized: ${doc.details}` : 'unauthorized: incorrect username or password';
      throw new RegistryUnauthorizedError(msg);
    }
    if (res.status !== 200) throw new RegistryUnauthorizedError(`token server at ${url.origin} answered ${res.status}: ${text.slice(0, 200)}`);
    const token = (doc.token ?? doc.access_token) as string | undefined;
    if (!token) throw new RegistryUnauthorizedError('token server answered without a token');
    if (typeof doc.refresh_token === 'string') this.lastRefreshToken = doc.refresh_token;
    const ttl = Math.max(60, Number(doc.expires_in) || 60) * 1000;
    const header = `Bearer ${token}`;
    this.tokens.set([...scopes].sort().join(' '), { header, expires: Date.now() + ttl - 10_000 });
    return header;
  }
}

/** `repository:<path>:pull` / `pull,push`. */
export function repoScope(path: string, push = false): string {
  return `repository:${path}:${push ? 'pull,push' : 'pull'}`;
}
