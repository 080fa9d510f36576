import type { Route } from '../../server/context.ts';
import type { ImagesBackend } from './backend.ts';
import * as h from './handlers.ts';

/**
 * The image routes. Static paths win over the wildcards in find-my-way, so
 * `/images/json`, `/images/get`, `/images/load`, `/images/create`, `/images/prune` (and the
 * registry's `/images/search`) never reach the `{name}` handlers.
 */
export function imageRoutes(b: ImagesBackend): Route[] {
  return [
    { method: 'GET', path: '/images/json', handler: h.list(b) },
    { method: 'GET', path: '/images/get', handler: h.saveMany(b) },
    { method: 'POST', path: '/images/load', handler: h.load(b) },
    { method: 'POST', path: '/images/create', handler: h.create(b) },
    { method: 'POST', path: '/images/prune', handler: h.prune(b) },
    { method: 'GET', path: '/images/*', handler: h.getByName(b) },
    { method: 'POST', path: '/images/*', handler: h.postByName(b) },
    { method: 'DELETE', path: '/images/*', handler: h.remove(b) },
  ];
}
