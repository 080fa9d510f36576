import type { Route } from '../../server/context.ts';
import type { BuildBackend } from './backend.ts';
import * as h from './handlers.ts';

/** `POST /build` (the classic builder) and `POST /build/prune`. */
export function buildRoutes(b: BuildBackend): Route[] {
  return [
    { method: 'POST', path: '/build', handler: h.build(b) },
    { method: 'POST', path: '/build/prune', handler: h.prune(b) },
  ];
}
