import type { Route } from '../../server/context.ts';
import type { ContainersBackend, ContainerToolsBackend, ExecBackend } from './backend.ts';
import { containerHandlers, execHandlers } from './handlers.ts';

export function containerRoutes(b: ContainersBackend, tools: ContainerToolsBackend, exec: ExecBackend): Route[] {
  const h = containerHandlers(b, tools);
  const e = execHandlers(exec);
  return [
    { method: 'GET', path: '/containers/json', handler: h.list! },
    { method: 'POST', path: '/containers/create', handler: h.create! },
    { method: 'POST', path: '/containers/prune', handler: h.prune! },
    { method: 'GET', path: '/containers/:id/json', handler: h.inspect! },
    { method: 'GET', path: '/containers/:id/top', handler: h.top! },
    { method: 'GET', path: '/containers/:id/logs', handler: h.logs! },
    { method: 'GET', path: '/containers/:id/changes', handler: h.changes! },
    { method: 'GET', path: '/containers/:id/export', handler: h.export! },
    { method: 'GET', path: '/containers/:id/stats', handler: h.stats! },
    { method: 'POST', path: '/containers/:id/resize', handler: h.resize! },
    { method: 'POST', path: '/containers/:id/start', handler: h.start! },
    { method: 'POST', path: '/containers/:id/stop', handler: h.stop! },
    { method: 'POST', path: '/containers/:id/restart', handler: h.restart! },
    { method: 'POST', path: '/containers/:id/kill', handler: h.kill! },
    { method: 'POST', path: '/containers/:id/update', handler: h.update! },
    { method: 'POST', path: '/containers/:id/rename', handler: h.rename! },
    { method: 'POST', path: '/containers/:id/pause', handler: h.pause! },
    { method: 'POST', path: '/containers/:id/unpause', handler: h.unpause! },
    { method: 'POST', path: '/containers/:id/attach', handler: h.attach! },
    { method: 'POST', path: '/containers/:id/wait', handler: h.wait! },
    // `*`: a legacy link name (`parent/alias`) holds a slash.
    { method: 'DELETE', path: '/containers/*', handler: h.remove! },
    { method: 'HEAD', path: '/containers/:id/archive', handler: h.archiveHead! },
    { method: 'GET', path: '/containers/:id/archive', handler: h.archiveGet! },
    { method: 'PUT', path: '/containers/:id/archive', handler: h.archivePut! },
    { method: 'POST', path: '/commit', handler: h.commit! },
    { method: 'POST', path: '/containers/:id/exec', handler: e.create! },
    { method: 'POST', path: '/exec/:id/start', handler: e.start! },
    { method: 'POST', path: '/exec/:id/resize', handler: e.resize! },
    { method: 'GET', path: '/exec/:id/json', handler: e.inspect! },
  ];
}
