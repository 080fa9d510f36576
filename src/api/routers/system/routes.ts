import type { Route } from '../../server/context.ts';
import type { SystemBackend } from './backend.ts';
import * as h from './handlers.ts';

export function systemRoutes(b: SystemBackend): Route[] {
  return [
    { method: 'GET', path: '/_ping', handler: h.ping },
    { method: 'HEAD', path: '/_ping', handler: h.ping },
    { method: 'GET', path: '/version', handler: h.version(b) },
    { method: 'GET', path: '/info', handler: h.info(b) },
    { method: 'GET', path: '/events', handler: h.events(b) },
    { method: 'GET', path: '/system/df', handler: h.diskUsage(b) },
  ];
}
