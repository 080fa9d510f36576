/**
 * Image route handlers. Names may contain slashes (`127.0.0.1:5000/a/b:tag`), so the
 * `/images/{name}/…` routes are one wildcard per method, split here on the last segment, as
 * docker's `{name:.*}` routes do.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotImplementedError, messageOf } from '../../../common/errors.ts';
import { boolParam, type Handler, type RouteContext } from '../../server/context.ts';
import { parseFilters } from '../../server/filters.ts';
import { compareVersions, imageShape } from '../../types/version.ts';
import type { ImagesBackend } from './backend.ts';

const JSON_STREAM = 'application/json';
const line = (v: unknown) => JSON.stringify(v) + '\r\n';
const errorMessage = (err: unknown) => line({ errorDetail: { message: messageOf(err) }, error: messageOf(err) });

function registryAuth(ctx: RouteContext): Record<string, unknown> | undefined {
  const raw = ctx.req.headers['x-registry-auth'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    return JSON.parse(Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function platformParam(v: string | null): { os?: string; architecture?: string; variant?: string } | undefined {
  if (!v) return undefined;
  const [os, architecture, variant] = v.split('/');
  if (!os) throw new InvalidArgumentError(`invalid platform: ${v}`);
  return { os, architecture, variant };
}

export function list(b: ImagesBackend): Handler {
  return (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    const legacy = ctx.query.get('filter');
    if (legacy) (filters.reference ??= []).push(legacy);
    const sharedSize = compareVersions(ctx.apiVersion, '1.42') >= 0 && boolParam(ctx.query, 'shared-size');
    ctx.json(200, b.list({ all: boolParam(ctx.query, 'all'), filters, digests: boolParam(ctx.query, 'digests'), ...imageShape(ctx.apiVersion), sharedSize }));
  };
}

function save(b: ImagesBackend, names: string[]): Handler {
  return async (ctx) => {
    const archive = b.save(names);
    const res = ctx.stream('application/x-tar');
    ctx.signal.addEventListener('abort', () => archive.destroy(), { once: true });
    // The 200 is sent: a failure (or the client leaving) can only cut the stream short.
    await pipeline(archive, res).catch(() => { if (!res.destroyed) res.destroy(); });
  };
}

export function saveMany(b: ImagesBackend): Handler {
  return (ctx) => save(b, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean))(ctx);
}

export function load(b: ImagesBackend): Handler {
  return async (ctx) => {
    const res = ctx.stream(JSON_STREAM);
    try {
      await b.load(ctx.req, (l) => res.write(line({ stream: `${l}\n` })));
    } catch (err) {
      res.write(errorMessage(err));
    }
    res.end();
  };
}

export function create(b: ImagesBackend): Handler {
  return async (ctx) => {
    const q = ctx.query;
    const fromImage = q.get('fromImage');
    const fromSrc = q.get('fromSrc');
    if (fromImage) {
      // Registry hook: the registry client implements ImagesBackend.pull.
      if (!b.pull) throw new NotImplementedError('pulling images is not implemented yet');
      // The stream starts with the first message: an error before it is a status answer (404, 401).
      let res: ServerResponse | undefined;
      const out = () => (res ??= ctx.stream(JSON_STREAM));
      try {
        await b.pull({ fromImage, tag: q.get('tag') ?? undefined, platform: q.get('platform') ?? undefined, auth: registryAuth(ctx), progress: (m) => out().write(line(m)), signal: ctx.signal });
      } catch (err) {
        if (!res) throw err;
        res.write(errorMessage(err));
      }
      out().end();
      return;
    }
    if (fromSrc === null || fromSrc === '') throw new InvalidArgumentError('fromImage or fromSrc is required');
    if (fromSrc !== '-') throw new NotImplementedError('importing from a URL is not supported');
    const opts = {
      repo: q.get('repo') || undefined,
      tag: q.get('tag') || undefined,
      changes: q.getAll('changes').filter(Boolean),
      message: q.get('message') || undefined,
      src: fromSrc,
      platform: platformParam(q.get('platform')),
    };
    const res = ctx.stream(JSON_STREAM);
    try {
      const id = await b.import(ctx.req, opts);
      res.write(line({ status: id }));
    } catch (err) {
      res.write(errorMessage(err));
    }
    res.end();
  };
}

export function prune(b: ImagesBackend): Handler {
  return async (ctx) => ctx.json(200, await b.prune(parseFilters(ctx.query.get('filters'))));
}

/** GET /images/{name}/json|history|get */
export function getByName(b: ImagesBackend): Handler {
  return async (ctx) => {
    const rest = ctx.params['*'] ?? '';
    const i = rest.lastIndexOf('/');
    const name = rest.slice(0, i);
    const what = rest.slice(i + 1);
    if (i <= 0) return ctx.json(404, { message: 'page not found' });
    if (what === 'json') return ctx.json(200, b.inspect(name, { withVirtualSize: imageShape(ctx.apiVersion).withVirtualSize }));
    if (what === 'history') return ctx.json(200, b.history(name));
    if (what === 'get') return save(b, [name])(ctx);
    ctx.json(404, { message: 'page not found' });
  };
}

/** POST /images/{name}/tag|push */
export function postByName(b: ImagesBackend): Handler {
  return async (ctx) => {
    const rest = ctx.params['*'] ?? '';
    const i = rest.lastIndexOf('/');
    const name = rest.slice(0, i);
    const what = rest.slice(i + 1);
    if (i <= 0) return ctx.json(404, { message: 'page not found' });
    if (what === 'tag') {
      const repo = ctx.query.get('repo') ?? '';
      const tag = ctx.query.get('tag') ?? '';
      if (repo === '' && tag === '') throw new InvalidArgumentError('repository name must have at least one component');
      b.tag(name, repo, tag || undefined);
      return ctx.noContent(201);
    }
    if (what === 'push') {
      // Registry hook: the registry client implements ImagesBackend.push.
      if (!b.push) throw new NotImplementedError('pushing images is not implemented yet');
      let res: ServerResponse | undefined;
      const out = () => (res ??= ctx.stream(JSON_STREAM));
      try {
        await b.push(name, { tag: ctx.query.get('tag') ?? undefined, auth: registryAuth(ctx), progress: (m) => out().write(line(m)), signal: ctx.signal });
      } catch (err) {
        if (!res) throw err;
        res.write(errorMessage(err));
      }
      out().end();
      return;
    }
    ctx.json(404, { message: 'page not found' });
  };
}

/** DELETE /images/{name} */
export function remove(b: ImagesBackend): Handler {
  return async (ctx) => {
    const name = ctx.params['*'] ?? '';
    ctx.json(200, await b.remove(name, { force: boolParam(ctx.query, 'force'), noprune: boolParam(ctx.query, 'noprune') }));
  };
}
