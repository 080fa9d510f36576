import type { Route } from '../../server/context.ts';
import type { DistributionBackend } from './backend.ts';
import * as h from './handlers.ts';

/**
 * The distribution routes. `/images/search` is a static path, so find-my-way prefers it to
 * the images router's `/images/*` wildcard; pull and push are that router's hooks.
 */
export function distributionRoutes(b: DistributionBackend): Route[] {
  return [
    { method: 'POST', path: '/auth', handler: h.auth(b) },
    { method: 'GET', path: '/images/search', handler: h.search(b) },
  ];
}
