/** /api/v1/deploy: start deployments, follow them, revoke node keys. */
import { deploymentOf } from '../../deploy/deployment.ts';
import { startDeployment } from '../../deploy/start-deployment.ts';
import { compressNodes } from '../../inventory/noderange/index.ts';
import type { Route } from '../route.ts';
import { noderange } from '../schemas.ts';
import type { Services } from '../services.ts';

export function deployRoutes(services: Services): Route[] {
  const { inventory } = services;
  return [
    {
      method: 'POST',
      path: '/api/v1/deploy',
      operationId: 'deploy',
      tag: 'deploy',
      summary: "Deploy a profile to nodes: sets their pending profile and arms their node API key for the next boot",
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['range', 'profile'],
        properties: { range: noderange, profile: { type: 'string', minLength: 1, maxLength: 128 }, arm: { type: 'string', default: 'once', maxLength: 64 } },
      },
      handler: async ({ body }) => {
        const b = body as { range: string; profile: string; arm?: string };
        return startDeployment(services, { range: b.range, profile: b.profile, arm: b.arm ?? 'once' });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/deploy/status',
      operationId: 'deployStatus',
      tag: 'deploy',
      summary: 'Per node: pending and current profile, state, arming, whether it holds a key, its last boot step',
      query: { type: 'object', additionalProperties: false, required: ['range'], properties: { range: noderange } },
      handler: async ({ query }) => {
        const nodes = inventory.expand(query['range'] as string);
        const keys = await services.nodeKeys.hasKey(nodes);
        const resolver = inventory.resolver();
        const rows = [];
        for (const node of nodes) {
          const deployment = deploymentOf(inventory, node, resolver);
          const last = (await services.events.timeline(node, 1)).at(-1);
          rows.push({
            node,
            pending: deployment.pending ?? null,
            profile: deployment.current ?? null,
            state: deployment.state ?? null,
            armed: deployment.armed ?? null,
            key: keys.has(node),
            last: last ? { time: last.time, source: last.source, step: last.step } : null,
          });
        }
        return { nodes: rows };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/nodes/revoke-key',
      operationId: 'revokeNodeKeys',
      tag: 'deploy',
      summary: 'Revoke node API keys: those nodes can fetch nothing until they are armed again',
      body: { type: 'object', additionalProperties: false, required: ['range'], properties: { range: noderange } },
      handler: async ({ body }) => {
        const nodes = inventory.expand((body as { range: string }).range);
        const revoked = await services.nodeKeys.revoke(nodes);
        return { revoked: compressNodes(revoked), count: revoked.length };
      },
    },
  ];
}
