/** The `/networks` routes of the Engine API. */
import type { Route } from '../../server/context.ts';
import type { NetworksBackend } from './backend.ts';
import * as h from './handlers.ts';

export type { NetworksBackend } from './backend.ts';

export function networkRoutes(b: NetworksBackend): Route[] {
  return [
    { method: 'GET', path: '/networks', handler: h.list(b) },
    { method: 'POST', path: '/networks/create', handler: h.create(b) },
    { method: 'POST', path: '/networks/prune', handler: h.prune(b) },
    { method: 'GET', path: '/networks/:id', handler: h.inspect(b) },
    { method: 'DELETE', path: '/networks/:id', handler: h.remove(b) },
    { method: 'POST', path: '/networks/:id/connect', handler: h.connect(b) },
    { method: 'POST', path: '/networks/:id/disconnect', handler: h.disconnect(b) },
  ];
}
