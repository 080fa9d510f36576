/**
 * Image references in Docker's grammar (distribution/reference):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component ( "/" path-component )*
 *   domain     := host [ ":" port ]          host = DNS name | IPv4 | "[" IPv6 "]"
 *   path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex{32,}
 *
 * `parseNormalizedNamed('busybox')` gives docker.io/library/busybox; `withDefaultTag` adds
 * `:latest`; `familiarString` shows a reference the way the user typed it (COMPAT-TRAPS 3).
 * Error messages are docker's, because clients match on them.
 */
import { InvalidArgumentError } from './errors.ts';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const NAME_TOTAL_LENGTH_MAX = 255;

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const SHORT_IDENTIFIER_RE = /^[a-f0-9]{6,64}$/;

export const ERR_REFERENCE_INVALID_FORMAT = 'invalid reference format';
export const ERR_TAG_INVALID_FORMAT = 'invalid tag format';
export const ERR_DIGEST_INVALID_FORMAT = 'invalid digest format';
export const ERR_NAME_CONTAINS_UPPERCASE = 'repository name must be lowercase';
export const ERR_NAME_EMPTY = 'repository name must have at least one component';
export const ERR_NAME_TOO_LONG = `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`;
export const ERR_NAME_NOT_CANONICAL = 'repository name must be canonical';

/** A parsed reference. `domain` is empty only for references made by `parse` without a domain. */
export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "localhost:5000". */
  domain: string;
  /** Repository path, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

function fail(message: string): never {
  throw new InvalidArgumentError(message);
}

/** Full repository name: `domain/path` (or just `path` without a domain). */
export function repoName(r: Reference): string {
  return r.domain ? `${r.domain}/${r.path}` : r.path;
}

/** The canonical string: `docker.io/library/busybox:latest@sha256:…`. */
export function referenceString(r: Reference): string {
  return repoName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** Validates `algorithm:hex` the way go-digest does (sha256 needs exactly 64 hex). */
export function validateDigest(d: string): void {
  const i = d.indexOf(':');
  if (i < 1 || i + 1 === d.length) fail(ERR_DIGEST_INVALID_FORMAT);
  const alg = d.slice(0, i);
  const hex = d.slice(i + 1);
  if (alg === 'sha256') {
    if (!/^[a-f0-9]{64}$/.test(hex)) fail(hex.length !== 64 ? 'invalid checksum digest length' : 'invalid checksum digest format');
  } else if (alg === 'sha384' || alg === 'sha512') {
    const want = alg === 'sha384' ? 96 : 128;
    if (!new RegExp(`^[a-f0-9]{${want}}$`).test(hex)) fail('invalid checksum digest length');
  } else {
    fail('unsupported digest algorithm');
  }
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** Is `s` a full 64-hex image id (without `sha256:`)? */
export function isFullIdentifier(s: string): boolean {
  return IDENTIFIER_RE.test(s);
}

export function isShortIdentifier(s: string): boolean {
  return SHORT_IDENTIFIER_RE.test(s);
}

/** distribution/reference Parse: no normalisation, no default domain. */
export function parse(s: string): Reference {
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (s === '') fail(ERR_NAME_EMPTY);
    if (REFERENCE_RE.test(s.toLowerCase())) fail(ERR_NAME_CONTAINS_UPPERCASE);
    fail(ERR_REFERENCE_INVALID_FORMAT);
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) fail(ERR_NAME_TOO_LONG);
  const nm = ANCHORED_NAME_RE.exec(name);
  if (!nm) fail(ERR_REFERENCE_INVALID_FORMAT);
  const ref: Reference = { domain: nm[1] ?? '', path: nm[2]! };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    validateDigest(m[3]);
    ref.digest = m[3];
  }
  return ref;
}

/** Docker's split of a user-typed name into registry domain and remainder. */
export function splitDockerDomain(name: string): { domain: string; remainder: string } {
  let domain: string;
  let remainder: string;
  const i = name.indexOf('/');
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * distribution/reference ParseNormalizedNamed: what the docker CLI and daemon do with a name
 * a user typed. `busybox` → docker.io/library/busybox (no tag added; see withDefaultTag).
 */
export function parseNormalizedNamed(s: string): Reference {
  if (IDENTIFIER_RE.test(s)) fail(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) fail(`${ERR_REFERENCE_INVALID_FORMAT}: repository name (${remote}) must be lowercase`);
  const ref = parse(`${domain}/${remainder}`);
  return ref;
}

/** TagNameOnly: adds `:latest` when the reference has neither tag nor digest. */
export function withDefaultTag(r: Reference): Reference {
  if (r.tag === undefined && r.digest === undefined) return { ...r, tag: DEFAULT_TAG };
  return r;
}

/** The repository name as the user would type it (`busybox`, `localhost:5000/x`, `user/app`). */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return repoName(r);
  const p = r.path;
  if (p.startsWith(OFFICIAL_PREFIX) && !p.slice(OFFICIAL_PREFIX.length).includes('/')) return p.slice(OFFICIAL_PREFIX.length);
  return p;
}

/** The reference as the user would type it: `busybox:latest`, `ubuntu@sha256:…`. */
export function familiarString(r: Reference): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** Parses and normalises a reference, defaulting the tag: the key the reference store uses. */
export function normalizeTagged(s: string): Reference {
  return withDefaultTag(parseNormalizedNamed(s));
}

/**
 * ParseAnyReference: a 64-hex string or `sha256:<64 hex>` is an image id (returned as
 * `{ id }`); anything else is a normalised name.
 */
export function parseAnyReference(s: string): { id: string } | { ref: Reference } {
  if (IDENTIFIER_RE.test(s)) return { id: `sha256:${s}` };
  if (/^sha256:[a-f0-9]{64}$/.test(s)) return { id: s };
  return { ref: parseNormalizedNamed(s) };
}

/** Repo + tag as docker's `POST /images/{name}/tag?repo=&tag=` and import `repo=&tag=` combine them. */
export function parseRepoTag(repo: string, tag: string | undefined): Reference {
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) fail('cannot import digest reference');
  if (tag !== undefined && tag !== '') {
    if (!isValidTag(tag)) fail(ERR_TAG_INVALID_FORMAT);
    return { domain: ref.domain, path: ref.path, tag };
  }
  return withDefaultTag(ref);
}
