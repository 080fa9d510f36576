/**
 * Build route handlers. `POST /build?t=&dockerfile=&buildargs=&labels=&nocache=&rm=&forcerm=
 * &pull=&q=&target=&networkmode=&extrahosts=&cachefrom=` takes the context tar as the body and
 * streams docker's JSON messages (`{"stream":…}`, `{"aux":{"ID":…}}`, and on failure
 * `{"errorDetail":…,"error":…}`; an error before the first message is a plain error answer).
 */
import { InvalidArgumentError, NotImplementedError, messageOf } from '../../../common/errors.ts';
import { boolParam, type Handler, type RouteContext } from '../../server/context.ts';
import type { BuildBackend } from './backend.ts';
import { parseFilters } from '../../server/filters.ts';
import { buildPruneUntil } from '../../types/docker-time.ts';
import { onlyJsonSyntax } from '../../../common/cleanups.ts';

const line = (v: unknown) => JSON.stringify(v) + '\r\n';

function jsonMap<T>(ctx: RouteContext, name: string): Record<string, T> {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, T>;
  } catch (err) { onlyJsonSyntax(err); /* not JSON: refused below */ }
  throw new InvalidArgumentError(`invalid ${name} parameter: ${raw}`);
}

function registryConfig(ctx: RouteContext): Record<string, unknown> | undefined {
  const raw = ctx.req.headers['x-registry-config'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    return JSON.parse(Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** `extrahosts` (repeated): `host:ip` entries for RUN containers' /etc/hosts. */
function extraHosts(ctx: RouteContext): string[] {
  const all = ctx.query.getAll('extrahosts').filter(Boolean);
  for (const h of all) {
    const i = h.indexOf(':');
    if (i <= 0 || i === h.length - 1) throw new InvalidArgumentError(`bad format for add-host: ${JSON.stringify(h)}`);
  }
  return all;
}

/** `cachefrom`: a JSON array of image references. */
function cacheFrom(ctx: RouteContext): string[] | undefined {
  const raw = ctx.query.get('cachefrom');
  if (raw === null || raw === '') return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch (err) { onlyJsonSyntax(err); /* not JSON: refused below */ }
  throw new InvalidArgumentError(`invalid cachefrom parameter: ${raw}`);
}

/**
 * The response stream, opened by the first message (docker's WriteFlusher): an error
 * before anything was written is answered as a plain `{"message"}` error with its status
 * (an empty Dockerfile is a 400), later ones as the stream's last `errorDetail` message.
 * With `q`, progress messages are held back and only written when the build fails.
 */
class BuildOutput {
  private res: ReturnType<RouteContext['stream']> | undefined;
  private held: Record<string, unknown>[] = [];

  constructor(private readonly ctx: RouteContext, private readonly quiet: boolean) {}

  get started(): boolean {
    return this.res !== undefined;
  }

  write(m: Record<string, unknown>, always = false): void {
    if (this.quiet && !always) { this.held.push(m); return; }
    this.res ??= this.ctx.stream('application/json');
    if (!this.res.destroyed) this.res.write(line(m));
  }

  /** Streams the error; returns false when nothing was written (the caller throws it instead). */
  fail(err: unknown): boolean {
    for (const m of this.held.splice(0)) this.write(m, true);
    if (!this.started) return false;
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    this.write({ errorDetail: typeof code === 'number' ? { code, message: messageOf(err) } : { message: messageOf(err) }, error: messageOf(err) }, true);
    return true;
  }

  end(): void {
    this.res ??= this.ctx.stream('application/json');
    this.res.end();
  }
}

export function build(b: BuildBackend): Handler {
  return async (ctx) => {
    const q = ctx.query;
    if (q.get('remote')) throw new NotImplementedError('remote build contexts are not supported');
    if (boolParam(q, 'squash')) throw new InvalidArgumentError('squash is only supported with experimental mode');
    const tags = q.getAll('t').filter(Boolean);
    b.validateTags(tags);
    const buildArgs = jsonMap<string | null>(ctx, 'buildargs');
    const labels = jsonMap<string>(ctx, 'labels');
    const quiet = boolParam(q, 'q');
    const out = new BuildOutput(ctx, quiet);
    try {
      await b.build({
        context: ctx.req, dockerfile: q.get('dockerfile') || undefined, tags, buildArgs, labels,
        noCache: boolParam(q, 'nocache'), rm: boolParam(q, 'rm', true), forceRm: boolParam(q, 'forcerm'),
        pull: boolParam(q, 'pull'), quiet, target: q.get('target') || undefined,
        networkMode: q.get('networkmode') || undefined, extraHosts: extraHosts(ctx),
        cacheFrom: cacheFrom(ctx), registryConfig: registryConfig(ctx), signal: ctx.signal,
        out: (m, always) => out.write(m, always),
      });
    } catch (err) {
      if (!out.fail(err)) throw err;
    }
    out.end();
  };
}

/** `POST /build/prune`: BuildKit's `until` (a duration) is checked with its message, then pruned. */
export function prune(b: BuildBackend): Handler {
  return (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    buildPruneUntil(filters.until);
    ctx.json(200, b.prune());
  };
}
