/**
 * Distribution route handlers: `POST /auth` (docker login) and `GET /images/search`.
 */
import { InvalidArgumentError } from '../../../common/errors.ts';
import { intParam, type Handler } from '../../server/context.ts';
import { parseFilters } from '../../server/filters.ts';
import type { DistributionBackend } from './backend.ts';

export function auth(b: DistributionBackend): Handler {
  return async (ctx) => {
    const body = await ctx.jsonBody<Record<string, unknown>>();
    if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) throw new InvalidArgumentError('invalid auth configuration: expected a JSON object');
    ctx.json(200, await b.login(body));
  };
}

export function search(b: DistributionBackend): Handler {
  return async (ctx) => {
    const term = ctx.query.get('term') ?? '';
    if (term === '') throw new InvalidArgumentError('term is required');
    const raw = ctx.req.headers['x-registry-auth'];
    const results = await b.search({
      term,
      limit: intParam(ctx.query, 'limit'),
      filters: parseFilters(ctx.query.get('filters')),
      auth: typeof raw === 'string' && raw !== '' ? raw : undefined,
    });
    ctx.json(200, results);
  };
}
