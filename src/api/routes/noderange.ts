/** /api/v1/noderange: expand a noderange against the inventory, or compress a list of names. */
import { compressNodes } from '../../inventory/noderange/compress.ts';
import type { Route } from '../route.ts';
import { noderange, stringList } from '../schemas.ts';
import type { Services } from '../services.ts';

export function noderangeRoutes({ inventory }: Services): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/noderange/expand',
      operationId: 'expandNoderange',
      tag: 'inventory',
      summary: 'The node names a noderange selects, in natural order',
      query: { type: 'object', additionalProperties: false, required: ['range'], properties: { range: noderange } },
      response: { type: 'object', properties: { nodes: stringList } },
      handler: ({ query }) => ({ nodes: inventory.expand(query['range'] as string) }),
    },
    {
      method: 'POST',
      path: '/api/v1/noderange/compress',
      operationId: 'compressNoderange',
      tag: 'inventory',
      summary: 'The shortest readable noderange for a set of names',
      body: { type: 'object', additionalProperties: false, required: ['nodes'], properties: { nodes: stringList } },
      // A fleet's worth of names.
      maxBodyBytes: 16 * 1024 * 1024,
      response: { type: 'object', properties: { noderange: { type: 'string' } } },
      handler: ({ body }) => ({ noderange: compressNodes((body as { nodes: string[] }).nodes) }),
    },
  ];
}
