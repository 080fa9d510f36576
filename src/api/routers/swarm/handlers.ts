/**
 * Swarm-mode handlers: this daemon is never part of a swarm, so every cluster endpoint answers
 * as a docker daemon that is not in one (moby `daemon/cluster`): 503 "not a swarm manager" for
 * reads and writes, 503 "not part of a swarm" for leave. Request checks that docker makes
 * before it looks at the node state (body present, `version`, `filters`, stream choice,
 * listen address) come first and keep docker's 400 messages.
 */
import { InvalidArgumentError, NotImplementedError, UnavailableError } from '../../../common/errors.ts';
import { boolParam, type Handler, type RouteContext } from '../../server/context.ts';
import { parseFilters } from '../../server/filters.ts';

export const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
export const NOT_IN_SWARM = 'This node is not part of a swarm';

/** Docker decodes the body before anything else: an empty one is an EOF. */
async function requireBody(ctx: RouteContext): Promise<Record<string, unknown>> {
  const body = await ctx.jsonBody<unknown>();
  if (body === undefined) throw new InvalidArgumentError('got EOF while reading request body');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  return body as Record<string, unknown>;
}

/** Go's strconv.ParseUint(v, 10, 64) wording, as docker quotes it. */
function checkVersion(ctx: RouteContext, kind: string, detailed: boolean): void {
  const raw = ctx.query.get('version') ?? '';
  let problem = '';
  if (!/^\d+$/.test(raw)) problem = 'invalid syntax';
  else if (BigInt(raw) > 0xffffffffffffffffn) problem = 'value out of range';
  if (!problem) return;
  throw new InvalidArgumentError(detailed ? `invalid ${kind} version '${raw}': strconv.ParseUint: parsing "${raw}": ${problem}` : `invalid ${kind} version`);
}

const notManager = (): never => {
  throw new UnavailableError(NOT_MANAGER);
};

/** GET reads, DELETE, swarm unlock key: nothing to check first. */
export const unavailable: Handler = () => notManager();

/** GET /services, /nodes, /tasks, /secrets, /configs: the filters are parsed first. */
export const list: Handler = (ctx) => {
  parseFilters(ctx.query.get('filters'));
  notManager();
};

/** POST …/create and POST /swarm/unlock: a body is required. */
export const withBody: Handler = async (ctx) => {
  await requireBody(ctx);
  notManager();
};

/** POST …/{id}/update and /swarm/update: body, then `version`. */
export function update(kind: 'swarm' | 'service' | 'node' | 'secret' | 'config'): Handler {
  return async (ctx) => {
    await requireBody(ctx);
    checkVersion(ctx, kind, kind !== 'secret' && kind !== 'config');
    notManager();
  };
}

/** GET /services/{id}/logs, /tasks/{id}/logs. */
export const logs: Handler = (ctx) => {
  if (!boolParam(ctx.query, 'stdout') && !boolParam(ctx.query, 'stderr')) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  notManager();
};

export const leave: Handler = () => {
  throw new UnavailableError(NOT_IN_SWARM);
};

/** POST /swarm/init and /swarm/join: docker's request checks, then no swarm mode here. */
export function initOrJoin(join: boolean): Handler {
  return async (ctx) => {
    const body = await requireBody(ctx);
    const listen = typeof body.ListenAddr === 'string' ? body.ListenAddr : '';
    if (!listen) throw new InvalidArgumentError('invalid ListenAddr "": invalid empty address');
    if (join && !(Array.isArray(body.RemoteAddrs) && body.RemoteAddrs.length)) throw new InvalidArgumentError('at least 1 RemoteAddr is required to join');
    throw new NotImplementedError('swarm mode is not supported by this daemon');
  };
}
