/**
 * The image config JSON (docker's image.Image / OCI image config) as stored verbatim in the
 * content store, plus the runtime part (`config`, docker's container.Config) with the
 * defaults docker prints in `inspect`.
 */
import { goArch } from '../../common/host.ts';

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: Record<string, unknown>;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfigJson {
  id?: string;
  parent?: string;
  comment?: string;
  created?: string;
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  author?: string;
  config?: ContainerConfig | null;
  architecture?: string;
  variant?: string;
  os?: string;
  'os.version'?: string;
  rootfs?: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

/** Parses a stored config; refuses what is not an image config. */
export function parseImageConfig(buf: Buffer): ImageConfigJson {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new Error(`invalid image config: ${(err as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('invalid image config: not an object');
  const c = v as ImageConfigJson;
  if (c.rootfs !== undefined && (!c.rootfs || !Array.isArray(c.rootfs.diff_ids))) throw new Error('invalid image config: bad rootfs');
  return c;
}

export function diffIdsOf(c: ImageConfigJson): string[] {
  return c.rootfs?.diff_ids ?? [];
}

/** Unix ms of the config's `created`, 0 when absent or unparsable. */
export function createdMs(c: ImageConfigJson): number {
  if (!c.created) return 0;
  const t = Date.parse(c.created);
  return Number.isNaN(t) ? 0 : t;
}

/** Go's time.RFC3339Nano of a Date (no trailing zeros in the fraction). */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

/** docker's container.Config with every field docker always prints, filled from `c`. */
export function dockerConfigView(c: ContainerConfig | null | undefined): ContainerConfig {
  const src = c ?? {};
  const out: ContainerConfig = {
    Hostname: src.Hostname ?? '',
    Domainname: src.Domainname ?? '',
    User: src.User ?? '',
    AttachStdin: src.AttachStdin ?? false,
    AttachStdout: src.AttachStdout ?? false,
    AttachStderr: src.AttachStderr ?? false,
  };
  if (src.ExposedPorts && Object.keys(src.ExposedPorts).length) out.ExposedPorts = src.ExposedPorts;
  Object.assign(out, {
    Tty: src.Tty ?? false,
    OpenStdin: src.OpenStdin ?? false,
    StdinOnce: src.StdinOnce ?? false,
    Env: src.Env ?? null,
    Cmd: src.Cmd ?? null,
  });
  if (src.Healthcheck) out.Healthcheck = src.Healthcheck;
  if (src.ArgsEscaped) out.ArgsEscaped = true;
  Object.assign(out, {
    Image: src.Image ?? '',
    Volumes: src.Volumes ?? null,
    WorkingDir: src.WorkingDir ?? '',
    Entrypoint: src.Entrypoint ?? null,
  });
  if (src.NetworkDisabled) out.NetworkDisabled = true;
  out.OnBuild = src.OnBuild ?? null;
  out.Labels = src.Labels ?? null;
  if (src.StopSignal) out.StopSignal = src.StopSignal;
  if (src.StopTimeout !== undefined) out.StopTimeout = src.StopTimeout;
  if (src.Shell) out.Shell = src.Shell;
  return out;
}

/** Defaults for a new image config: the host's platform. */
export function hostPlatform(): { architecture: string; os: string } {
  return { architecture: goArch(), os: 'linux' };
}

/** JSON bytes for a new config, keys in docker's order (the bytes are what the ID hashes). */
export function encodeImageConfig(c: ImageConfigJson): Buffer {
  const order = ['id', 'parent', 'comment', 'created', 'container', 'container_config', 'docker_version', 'author', 'config', 'architecture', 'variant', 'os', 'os.version', 'rootfs', 'history'];
  const out: Record<string, unknown> = {};
  for (const k of order) if (c[k] !== undefined) out[k] = c[k];
  for (const k of Object.keys(c)) if (!(k in out) && c[k] !== undefined) out[k] = c[k];
  return Buffer.from(JSON.stringify(out));
}
