/**
 * Build route handlers. `POST /build?t=&dockerfile=&buildargs=&labels=&nocache=&rm=&forcerm=
 * &pull=&q=&target=&networkmode=` takes the context tar as the body and streams docker's JSON
 * messages (`{"stream":…}`, `{"aux":{"ID":…}}`, and on failure `{"errorDetail":…,"error":…}`).
 */
import { InvalidArgumentError, NotImplementedError, messageOf } from '../../../common/errors.ts';
import { boolParam, type Handler, type RouteContext } from '../../server/context.ts';
import type { BuildBackend } from './backend.ts';

const line = (v: unknown) => JSON.stringify(v) + '\r\n';

function jsonMap<T>(ctx: RouteContext, name: string): Record<string, T> {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, T>;
  } catch { /* fall through */ }
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

export function build(b: BuildBackend): Handler {
  return async (ctx) => {
    const q = ctx.query;
    if (q.get('remote')) throw new NotImplementedError('remote build contexts are not supported');
    const tags = q.getAll('t').filter(Boolean);
    b.validateTags(tags);
    const buildArgs = jsonMap<string | null>(ctx, 'buildargs');
    const labels = jsonMap<string>(ctx, 'labels');
    const res = ctx.stream('application/json');
    const write = (m: Record<string, unknown>) => { if (!res.destroyed) res.write(line(m)); };
    try {
      await b.build({
        context: ctx.req, dockerfile: q.get('dockerfile') || undefined, tags, buildArgs, labels,
        noCache: boolParam(q, 'nocache'), rm: boolParam(q, 'rm', true), forceRm: boolParam(q, 'forcerm'),
        pull: boolParam(q, 'pull'), quiet: boolParam(q, 'q'), target: q.get('target') || undefined,
        networkMode: q.get('networkmode') || undefined, registryConfig: registryConfig(ctx), signal: ctx.signal, out: write,
      });
    } catch (err) {
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      write({ errorDetail: typeof code === 'number' ? { code, message: messageOf(err) } : { message: messageOf(err) }, error: messageOf(err) });
    }
    res.end();
  };
}

export function prune(b: BuildBackend): Handler {
  return (ctx) => ctx.json(200, b.prune());
}
