/** /api/v1/groups: groups carry attributes (often expressions) that their members inherit. */
import { compressNodes } from '../../inventory/noderange/compress.ts';
import { isSecretAttribute } from '../../inventory/schema/index.ts';
import type { Inventory } from '../../inventory/inventory.ts';
import type { Route } from '../route.ts';
import { attributeMap, stringList } from '../schemas.ts';
import type { Services } from '../services.ts';
import { MASK } from './nodes.ts';

const groupView = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    members: { type: 'integer' },
    noderange: { type: 'string', description: 'Members, compressed' },
    attributes: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

function viewOf(inventory: Inventory, name: string): Record<string, unknown> {
  const group = inventory.requireGroup(name);
  const members = inventory.members(name);
  const attributes: Record<string, string> = {};
  for (const [attribute, raw] of Object.entries(group.attributes).sort(([a], [b]) => (a < b ? -1 : 1))) {
    attributes[attribute] = isSecretAttribute(attribute) ? MASK : raw;
  }
  return { name, description: group.description, members: members.length, noderange: compressNodes(members), attributes };
}

export function groupRoutes({ inventory }: Services): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/groups',
      operationId: 'listGroups',
      tag: 'groups',
      summary: 'All groups with member counts and attributes (raw, expressions unevaluated)',
      response: { type: 'object', properties: { groups: { type: 'array', items: groupView } } },
      handler: () => ({ groups: inventory.groupNames().map((name) => viewOf(inventory, name)) }),
    },
    {
      method: 'GET',
      path: '/api/v1/groups/{name}',
      operationId: 'getGroup',
      tag: 'groups',
      summary: 'One group',
      response: groupView,
      handler: ({ params }) => viewOf(inventory, params['name']!),
    },
    {
      method: 'POST',
      path: '/api/v1/groups',
      operationId: 'defineGroup',
      tag: 'groups',
      summary: 'Define a group',
      successStatus: 201,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1 }, description: { type: 'string' }, attributes: attributeMap },
      },
      response: groupView,
      handler: async ({ body }) => {
        const request = body as { name: string; description?: string; attributes?: Record<string, string> };
        await inventory.defineGroup(request.name, request.description ?? '', request.attributes ?? {});
        return viewOf(inventory, request.name);
      },
    },
    {
      method: 'PATCH',
      path: '/api/v1/groups/{name}',
      operationId: 'changeGroup',
      tag: 'groups',
      summary: 'Set or unset group attributes; expressions are checked against every member before anything is written',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { set: attributeMap, unset: stringList, description: { type: 'string' } },
      },
      response: groupView,
      handler: async ({ params, body }) => {
        const request = body as { set?: Record<string, string>; unset?: string[]; description?: string };
        await inventory.changeGroup(params['name']!, request);
        return viewOf(inventory, params['name']!);
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/groups/{name}',
      operationId: 'removeGroup',
      tag: 'groups',
      summary: 'Remove a group; with force=true also when it still has members (they leave the group)',
      query: { type: 'object', additionalProperties: false, properties: { force: { type: 'boolean', default: false } } },
      response: { type: 'object', properties: { removed: { type: 'string' } } },
      handler: async ({ params, query }) => {
        await inventory.removeGroup(params['name']!, query['force'] === true);
        return { removed: params['name'] };
      },
    },
  ];
}
