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
  return Object.keys(body).length === 0 ? undefined : decodeConfig(body as Record<string, unknown>);
}

const STRING_FIELDS = ['Hostname', 'Domainname', 'User', 'Image', 'WorkingDir', 'MacAddress', 'StopSignal'];
const BOOL_FIELDS = ['AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'NetworkDisabled', 'ArgsEscaped'];

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function unmarshalError(field: string, v: unknown, goType: string): InvalidArgumentError {
  return new InvalidArgumentError(`json: cannot unmarshal ${jsonType(v)} into Go struct field Config.${field} of type ${goType}`);
}

function strings(field: string, v: unknown, orString: boolean): string[] | null {
  if (v === null) return null;
  if (orString && typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw unmarshalError(field, v, '[]string');
  return [...v];
}

/**
 * The body decoded as docker decodes it into container.Config: known fields only, each of its
 * type (a 400 otherwise), `map[string]struct{}` values emptied. What a client sends is stored in
 * the image config, so nothing else (nor its nesting) gets through.
 */
function decodeConfig(b: Record<string, unknown>): ImageContainerConfig {
  const c: ImageContainerConfig = {};
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    if (STRING_FIELDS.includes(k)) {
      if (v !== null && typeof v !== 'string') throw unmarshalError(k, v, 'string');
      if (v !== null) c[k] = v;
    } else if (BOOL_FIELDS.includes(k)) {
      if (v !== null && typeof v !== 'boolean') throw unmarshalError(k, v, 'bool');
      if (v !== null) c[k] = v;
    } else if (k === 'Env' || k === 'OnBuild') {
      c[k] = strings(k, v, false);
    } else if (k === 'Cmd' || k === 'Entrypoint' || k === 'Shell') {
      c[k] = strings(k, v, true);
    } else if (k === 'ExposedPorts' || k === 'Volumes') {
      if (v === null) { c[k] = null; continue; }
      if (typeof v !== 'object' || Array.isArray(v)) throw unmarshalError(k, v, 'map[string]struct {}');
      c[k] = Object.fromEntries(Object.keys(v).map((p) => [p, {}]));
    } else if (k === 'Labels') {
      if (v === null) { c[k] = null; continue; }
      if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) throw unmarshalError(k, v, 'map[string]string');
      c[k] = { ...(v as Record<string, string>) };
    } else if (k === 'StopTimeout') {
      if (v !== null && (typeof v !== 'number' || !Number.isInteger(v))) throw unmarshalError(k, v, 'int');
      if (v !== null) c[k] = v;
    } else if (k === 'Healthcheck') {
      if (v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) throw unmarshalError(k, v, 'container.HealthConfig');
      const h = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      if (h.Test !== undefined) out.Test = strings('Healthcheck.Test', h.Test, false);
      for (const n of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
        if (h[n] === undefined || h[n] === null) continue;
        if (typeof h[n] !== 'number' || !Number.isInteger(h[n])) throw unmarshalError(`Healthcheck.${n}`, h[n], n === 'Retries' ? 'int' : 'time.Duration');
        out[n] = h[n];
      }
      c[k] = out;
    }
    // Anything else is no field of container.Config: dropped, as Go's decoder does.
  }
  return c;
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
