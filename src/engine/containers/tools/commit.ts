/**
 * `POST /commit`: a container's changes become a new image over the container's image.
 * The new config is the request body's config (absent/empty body = none, COMPAT-TRAPS 1) or
 * else the container's Config, with the `changes` Dockerfile lines applied, then merged with
 * the container's Config the way moby does (unset fields taken from the container). The top
 * layer is the snapshot's diff (whiteouts for deletions); a running container is paused for
 * the duration unless `pause=false`. Publishes the container `commit` event.
 */
import { InvalidArgumentError } from '../../../common/errors.ts';
import { applyChanges, type ContainerConfig as ImageContainerConfig, type CreateImageOptions } from '../../images/index.ts';
import type { ContainerRecord } from '../record.ts';

export interface CommitQuery {
  repo?: string;
  tag?: string;
  author?: string;
  comment?: string;
  changes: string[];
  pause: boolean;
}

/** The image target `repo[:tag]` from the query, or undefined for an untagged image. */
export function commitTarget(q: { repo?: string; tag?: string }): string | undefined {
  if (!q.repo) {
    if (q.tag) throw new InvalidArgumentError('invalid reference format: tag given without a repository');
    return undefined;
  }
  return q.tag ? `${q.repo}:${q.tag}` : q.repo;
}

/** The container's Config as an image config (no undefined members, copies). */
export function containerConfigForImage(rec: ContainerRecord): ImageContainerConfig {
  const out: ImageContainerConfig = {};
  for (const [k, v] of Object.entries(rec.Config)) {
    if (v !== undefined) out[k] = structuredClone(v);
  }
  return out;
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/** moby's commit merge: fields the user config leaves unset come from the container's. */
export function mergeConfig(user: ImageContainerConfig, base: ImageContainerConfig): ImageContainerConfig {
  const c: ImageContainerConfig = structuredClone(user);
  if (!c.User) c.User = base.User;
  if (!c.ExposedPorts || Object.keys(c.ExposedPorts).length === 0) c.ExposedPorts = base.ExposedPorts;
  else for (const p of Object.keys(base.ExposedPorts ?? {})) c.ExposedPorts[p] ??= {};
  if (!c.Env || c.Env.length === 0) c.Env = base.Env;
  else {
    const have = new Set(c.Env.map(envKey));
    for (const e of base.Env ?? []) if (!have.has(envKey(e))) c.Env.push(e);
  }
  if (!c.Labels) c.Labels = base.Labels;
  else for (const [k, v] of Object.entries(base.Labels ?? {})) if (!(k in c.Labels)) c.Labels[k] = v;
  if (!c.Entrypoint || c.Entrypoint.length === 0) {
    if (!c.Cmd || c.Cmd.length === 0) c.Cmd = base.Cmd;
    if (c.Entrypoint === undefined || c.Entrypoint === null) c.Entrypoint = base.Entrypoint;
  }
  if (!c.WorkingDir) c.WorkingDir = base.WorkingDir;
  if (!c.Volumes || Object.keys(c.Volumes).length === 0) c.Volumes = base.Volumes;
  else for (const v of Object.keys(base.Volumes ?? {})) c.Volumes[v] ??= {};
  if (!c.StopSignal) c.StopSignal = base.StopSignal;
  if (c.Healthcheck === undefined) c.Healthcheck = base.Healthcheck;
  if (!c.OnBuild || c.OnBuild.length === 0) c.OnBuild = base.OnBuild ?? null;
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

/** The request body as a config: absent, null or `{}` mean none. */
export function bodyConfig(body: unknown): ImageContainerConfig | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('invalid JSON body: expected a container config object');
  return Object.keys(body).length === 0 ? undefined : (body as ImageContainerConfig);
}

/** The full createImage request for committing `rec` (layer filled by the caller). */
export function commitOptions(rec: ContainerRecord, q: CommitQuery, body: unknown): Omit<CreateImageOptions, 'layer'> {
  const base = containerConfigForImage(rec);
  const user = bodyConfig(body) ?? base;
  const config = mergeConfig(applyChanges(user, q.changes), base);
  return {
    parent: rec.Image,
    config,
    createdBy: (rec.Config.Cmd ?? [rec.Path, ...rec.Args]).join(' '),
    comment: q.comment || undefined,
    author: q.author || undefined,
    container: rec.Id,
    containerConfig: base,
    tag: commitTarget(q),
  };
}
