/** /api/v1/status: is the daemon up, which version, how big is the inventory. */
import type { Route } from '../route.ts';
import type { Services } from '../services.ts';

export function statusRoutes(services: Services): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/status',
      operationId: 'status',
      tag: 'server',
      summary: 'Server version, uptime, store revision and inventory size',
      handler: async () => ({
        version: services.version,
        pid: process.pid,
        stateDir: services.layout.root,
        startedAt: services.startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - services.startedAt.getTime()) / 1000),
        storeRevision: await services.store.revision(),
        nodes: services.inventory.nodeCount,
        groups: services.inventory.groupNames().length,
      }),
    },
  ];
}
