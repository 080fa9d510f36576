/**
 * Image references for the registry client: a thin layer over common/reference.ts (docker's
 * distribution/reference grammar), so the client, the image store and the API share one parser.
 * `busybox` → docker.io/library/busybox[:latest], `127.0.0.1:5000/p/x:v1`, `name@sha256:…`.
 */
import {
  DEFAULT_DOMAIN,
  familiarName as commonFamiliarName,
  familiarString as commonFamiliarString,
  parseNormalizedNamed,
  withDefaultTag,
  type Reference,
} from '../../common/reference.ts';

export const dockerHubDomain = DEFAULT_DOMAIN;

export interface RepoRef {
  /** Registry domain as the user wrote it (`docker.io` for Docker Hub), with port. */
  domain: string;
  /** Repository path inside the registry (`library/busybox`). */
  path: string;
}

/** The same shape as common/reference's Reference. */
export type ImageReference = Reference;

/** Parses and normalizes a reference; adds `latest` when it has neither tag nor digest and `defaultTag` is set. */
export function parseReference(s: string, opts: { defaultTag?: boolean } = {}): ImageReference {
  const r = parseNormalizedNamed(s);
  return opts.defaultTag ? withDefaultTag(r) : r;
}

/** `busybox`, `user/x`, `127.0.0.1:5000/p/x` (docker's FamiliarName). */
export function familiarName(r: RepoRef): string {
  return commonFamiliarName(r);
}

/** `busybox:latest`, `x@sha256:…` (docker's FamiliarString). */
export function familiarString(r: ImageReference): string {
  return commonFamiliarString(r);
}

/** `docker.io/library/busybox:latest` (fully qualified). */
export function canonicalString(r: ImageReference): string {
  return `${r.domain}/${r.path}` + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}
