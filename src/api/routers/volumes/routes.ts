import type { Route } from '../../server/context.ts';
import type { VolumesBackend } from './backend.ts';
import * as h from './handlers.ts';

/** The volume routes (`/volumes/create` and `/volumes/prune` win over `{name}`). */
export function volumeRoutes(b: VolumesBackend): Route[] {
  return [
    { method: 'GET', path: '/volumes', handler: h.list(b) },
    { method: 'POST', path: '/volumes/create', handler: h.create(b) },
    { method: 'POST', path: '/volumes/prune', handler: h.prune(b) },
    { method: 'GET', path: '/volumes/:name', handler: h.inspect(b) },
    { method: 'DELETE', path: '/volumes/:name', handler: h.remove(b) },
  ];
}
