/** Volume route handlers: docker's JSON shapes (201 on create, 204 on delete). */
import { InvalidArgumentError } from '../../../common/errors.ts';
import { boolParam, type Handler } from '../../server/context.ts';
import { parseFilters } from '../../server/filters.ts';
import { compareVersions } from '../../types/version.ts';
import type { VolumesBackend } from './backend.ts';

export function list(b: VolumesBackend): Handler {
  return (ctx) => ctx.json(200, b.list(parseFilters(ctx.query.get('filters'))));
}

export function create(b: VolumesBackend): Handler {
  return async (ctx) => {
    const body = (await ctx.jsonBody<Record<string, unknown>>()) ?? {};
    if (typeof body !== 'object' || Array.isArray(body) || body === null) throw new InvalidArgumentError('invalid JSON: expected an object');
    ctx.json(201, b.create(body as Parameters<VolumesBackend['create']>[0]));
  };
}

export function inspect(b: VolumesBackend): Handler {
  return (ctx) => ctx.json(200, b.inspect(ctx.params.name!));
}

export function remove(b: VolumesBackend): Handler {
  return (ctx) => {
    b.remove(ctx.params.name!, boolParam(ctx.query, 'force'));
    ctx.noContent(204);
  };
}

export function prune(b: VolumesBackend): Handler {
  // Before API 1.42 a prune without the `all` filter removes named volumes too.
  return (ctx) => ctx.json(200, b.prune(parseFilters(ctx.query.get('filters')), { allVolumes: compareVersions(ctx.apiVersion, '1.42') < 0 }));
}
