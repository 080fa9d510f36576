/**
 * The swarm-mode routes of the Engine API (`/swarm`, `/services`, `/nodes`, `/tasks`,
 * `/secrets`, `/configs`). wharf has no swarm mode: they answer as a docker daemon that is not
 * in a swarm, so clients (docker-py's `leave_swarm(force=True)`, `docker info`, compose) see
 * docker's 503s instead of 404 "page not found".
 */
import type { Route } from '../../server/context.ts';
import * as h from './handlers.ts';

export { NOT_IN_SWARM, NOT_MANAGER } from './handlers.ts';

export function swarmRoutes(): Route[] {
  const routes: Route[] = [
    { method: 'GET', path: '/swarm', handler: h.unavailable },
    { method: 'GET', path: '/swarm/unlockkey', handler: h.unavailable },
    { method: 'POST', path: '/swarm/init', handler: h.initOrJoin(false) },
    { method: 'POST', path: '/swarm/join', handler: h.initOrJoin(true) },
    { method: 'POST', path: '/swarm/leave', handler: h.leave },
    { method: 'POST', path: '/swarm/unlock', handler: h.withBody },
    { method: 'POST', path: '/swarm/update', handler: h.update('swarm') },
    { method: 'GET', path: '/services/:id/logs', handler: h.logs },
    { method: 'GET', path: '/tasks', handler: h.list },
    { method: 'GET', path: '/tasks/:id', handler: h.unavailable },
    { method: 'GET', path: '/tasks/:id/logs', handler: h.logs },
    { method: 'GET', path: '/nodes', handler: h.list },
    { method: 'GET', path: '/nodes/:id', handler: h.unavailable },
    { method: 'DELETE', path: '/nodes/:id', handler: h.unavailable },
    { method: 'POST', path: '/nodes/:id/update', handler: h.update('node') },
  ];
  const objects = [['services', 'service'], ['secrets', 'secret'], ['configs', 'config']] as const;
  for (const [plural, kind] of objects) {
    routes.push(
      { method: 'GET', path: `/${plural}`, handler: h.list },
      { method: 'POST', path: `/${plural}/create`, handler: h.withBody },
      { method: 'GET', path: `/${plural}/:id`, handler: h.unavailable },
      { method: 'DELETE', path: `/${plural}/:id`, handler: h.unavailable },
      { method: 'POST', path: `/${plural}/:id/update`, handler: h.update(kind) },
    );
  }
  return routes;
}
