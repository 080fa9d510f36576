import type { RouteContext } from '../../server/context.ts';
import type { SystemBackend } from './backend.ts';
import { InvalidArgumentError } from '../../../common/errors.ts';
import { matchesEvent, validateEventFilters, type EventFilters } from '../../types/events.ts';
import { parseTimestamps } from '../../types/docker-time.ts';
import { parseFilters } from '../../server/filters.ts';
import { compareVersions, imageShape } from '../../types/version.ts';

export function ping(ctx: RouteContext): void {
  const headers = { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Builder-Version': '1' };
  if (ctx.method === 'HEAD') ctx.text(200, '', { ...headers, 'Content-Length': '0' });
  else ctx.text(200, 'OK', headers);
}

export function version(b: SystemBackend) {
  return (ctx: RouteContext) => ctx.json(200, b.version());
}

export function info(b: SystemBackend) {
  return async (ctx: RouteContext) => ctx.json(200, await b.info());
}

export function diskUsage(b: SystemBackend) {
  return async (ctx: RouteContext) => {
    if (!b.diskUsage) return ctx.json(200, { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [], BuilderSize: 0 });
    // `type` came with API 1.42: older clients get every part.
    const types = compareVersions(ctx.apiVersion, '1.42') < 0 ? undefined : ctx.query.getAll('type');
    ctx.json(200, await b.diskUsage({ types, images: imageShape(ctx.apiVersion) }));
  };
}

export function events(b: SystemBackend) {
  return async (ctx: RouteContext) => {
    let filters: EventFilters;
    let since: number | undefined;
    let until: number | undefined;
    try {
      filters = parseFilters(ctx.query.get('filters'));
      validateEventFilters(filters);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    // The API takes unix seconds only (the CLI converts durations and dates: docker-time.ts).
    since = parseTimestamps(ctx.query.get('since'));
    until = parseTimestamps(ctx.query.get('until'));
    if (since !== undefined && until !== undefined && until < since) {
      throw new InvalidArgumentError(`\`since\` time (${ctx.query.get('since')}) cannot be after \`until\` time (${ctx.query.get('until')})`);
    }
    const res = ctx.stream('application/json');
    const q = { since, until, filters };
    const nowSec = Date.now() / 1000;
    for (const e of b.eventsHistory(q)) res.write(JSON.stringify(e) + '\n');
    if (until !== undefined && until <= nowSec) { res.end(); return; }
    await new Promise<void>((resolve) => {
      const unsubscribe = b.subscribeEvents((e) => {
        if (matchesEvent(e, filters) && (since === undefined || e.timeNano / 1e9 >= since)) res.write(JSON.stringify(e) + '\n');
      });
      let timer: NodeJS.Timeout | undefined;
      const finish = () => { unsubscribe(); if (timer) clearTimeout(timer); if (!res.writableEnded) res.end(); resolve(); };
      if (until !== undefined) timer = setTimeout(finish, Math.max(0, (until - Date.now() / 1000) * 1000));
      ctx.signal.addEventListener('abort', finish, { once: true });
    });
  };
}
