/** Network route handlers: `/networks…` of the Engine API (docker network ls/inspect/create/rm/prune/connect/disconnect). */
import { InvalidArgumentError } from '../../../common/errors.ts';
import { boolParam, type Handler, type RouteContext } from '../../server/context.ts';
import { checkFilterKeys, parseFilters } from '../../server/filters.ts';
import { NETWORK_LIST_FILTERS, NETWORK_PRUNE_FILTERS, type NetworksBackend } from './backend.ts';
import { compareVersions } from '../../types/version.ts';

async function objectBody(ctx: RouteContext): Promise<Record<string, unknown>> {
  const body = await ctx.jsonBody<unknown>();
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('json: cannot unmarshal request body: expected an object');
  return body as Record<string, unknown>;
}

export function list(b: NetworksBackend): Handler {
  return (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    checkFilterKeys(filters, NETWORK_LIST_FILTERS);
    ctx.json(200, b.list(filters));
  };
}

export function inspect(b: NetworksBackend): Handler {
  return (ctx) => {
    const scope = ctx.query.get('scope');
    if (scope && scope !== 'local') throw new InvalidArgumentError(`invalid scope: ${scope}`);
    ctx.json(200, b.inspect(ctx.params.id!));
  };
}

export function create(b: NetworksBackend): Handler {
  return async (ctx) => {
    // From API 1.44 network names are unique whatever CheckDuplicate says.
    ctx.json(201, await b.create(await objectBody(ctx), { unique: compareVersions(ctx.apiVersion, '1.44') >= 0 }));
  };
}

export function remove(b: NetworksBackend): Handler {
  return async (ctx) => {
    await b.remove(ctx.params.id!);
    ctx.noContent(204);
  };
}

export function prune(b: NetworksBackend): Handler {
  return async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    checkFilterKeys(filters, NETWORK_PRUNE_FILTERS);
    ctx.json(200, await b.prune(filters));
  };
}

export function connect(b: NetworksBackend): Handler {
  return async (ctx) => {
    const body = await objectBody(ctx);
    const container = typeof body.Container === 'string' ? body.Container : '';
    const ep = body.EndpointConfig;
    await b.connect(ctx.params.id!, container, ep && typeof ep === 'object' && !Array.isArray(ep) ? ep as Record<string, unknown> : {});
    ctx.noContent(200);
  };
}

export function disconnect(b: NetworksBackend): Handler {
  return async (ctx) => {
    const body = await objectBody(ctx);
    const container = typeof body.Container === 'string' ? body.Container : '';
    await b.disconnect(ctx.params.id!, container, body.Force === true || boolParam(ctx.query, 'force'));
    ctx.noContent(200);
  };
}
