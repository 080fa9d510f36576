/**
 * Image references as docker normalizes them: `busybox` → docker.io/library/busybox:latest,
 * `127.0.0.1:5000/p/x:v1`, `name@sha256:…`. The first path component is a registry domain
 * when it contains `.` or `:` or is `localhost`.
 */
import { InvalidArgumentError } from '../../common/errors.ts';

export const dockerHubDomain = 'docker.io';

export interface RepoRef {
  /** Registry domain as the user wrote it (`docker.io` for Docker Hub), with port. */
  domain: string;
  /** Repository path inside the registry (`library/busybox`). */
  path: string;
}

export interface ImageReference extends RepoRef {
  tag?: string;
  digest?: string;
}

const component = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const pathRe = new RegExp(`^${component}(?:/${component})*$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const domainRe = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

/** Parses and normalizes a reference; adds `latest` when it has neither tag nor digest and `defaultTag` is set. */
export function parseReference(s: string, opts: { defaultTag?: boolean } = {}): ImageReference {
  const bad = (why = ''): never => {
    throw new InvalidArgumentError(`invalid reference format${why}`);
  };
  if (!s || s.length > 4096) bad();
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) bad();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) bad();
  }
  let domain = dockerHubDomain;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!domainRe.test(first)) bad();
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = dockerHubDomain;
  if (path !== path.toLowerCase()) bad(`: repository name (${path}) must be lowercase`);
  if (!pathRe.test(path) || domain.length + path.length > 255) bad();
  if (domain === dockerHubDomain && !path.includes('/')) path = `library/${path}`;
  if (!tag && !digest && opts.defaultTag) tag = 'latest';
  return { domain, path, tag, digest };
}

/** `busybox`, `user/x`, `127.0.0.1:5000/p/x` (docker's FamiliarName). */
export function familiarName(r: RepoRef): string {
  if (r.domain !== dockerHubDomain) return `${r.domain}/${r.path}`;
  return r.path.startsWith('library/') && r.path.split('/').length === 2 ? r.path.slice(8) : r.path;
}

/** `busybox:latest`, `x@sha256:…` (docker's FamiliarString). */
export function familiarString(r: ImageReference): string {
  return familiarName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** `docker.io/library/busybox:latest` (fully qualified). */
export function canonicalString(r: ImageReference): string {
  return `${r.domain}/${r.path}` + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}
