/**
 * /api/v1/inventory: the whole inventory as one document, for backup and bulk
 * edits. Export → import → export is byte-identical: keys are sorted, names in
 * natural order, and values are the raw stored text (expressions unevaluated,
 * secrets included, since this is the administrator's backup).
 */
import type { Inventory } from '../../inventory/inventory.ts';
import type { GroupRecord, NodeRecord } from '../../inventory/model.ts';
import type { Route } from '../route.ts';
import { attributeMap, stringList } from '../schemas.ts';
import type { Services } from '../services.ts';

export const INVENTORY_FORMAT = 1;

export const inventoryDocument = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'groups', 'nodes'],
  properties: {
    format: { const: INVENTORY_FORMAT, description: 'Document format version' },
    groups: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { description: { type: 'string' }, attributes: attributeMap },
      },
    },
    nodes: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { groups: stringList, attributes: attributeMap },
      },
    },
  },
};

interface InventoryDocument {
  format: number;
  groups: Record<string, { description?: string; attributes?: Record<string, string> }>;
  nodes: Record<string, { groups?: string[]; attributes?: Record<string, string> }>;
}

function sortedObject(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function exportInventory(inventory: Inventory): InventoryDocument {
  const groups: InventoryDocument['groups'] = {};
  for (const name of inventory.groupNames()) {
    const group = inventory.requireGroup(name);
    groups[name] = { description: group.description, attributes: sortedObject(group.attributes) };
  }
  const nodes: InventoryDocument['nodes'] = {};
  for (const name of inventory.nodeNames()) {
    const node = inventory.requireNode(name);
    nodes[name] = { groups: [...node.groups], attributes: sortedObject(node.attributes) };
  }
  return { format: INVENTORY_FORMAT, groups, nodes };
}

export function inventoryRoutes({ inventory }: Services): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/inventory',
      operationId: 'exportInventory',
      tag: 'inventory',
      summary: 'Export every group and node (raw values, secrets included)',
      response: inventoryDocument,
      handler: () => exportInventory(inventory),
    },
    {
      method: 'PUT',
      path: '/api/v1/inventory',
      operationId: 'importInventory',
      tag: 'inventory',
      summary: 'Import a document: replace the inventory (default) or merge into it, in one transaction',
      query: {
        type: 'object',
        additionalProperties: false,
        properties: { mode: { type: 'string', enum: ['replace', 'merge'], default: 'replace' } },
      },
      body: inventoryDocument,
      // A whole fleet: 100,000 nodes with their attributes are tens of MiB.
      maxBodyBytes: 128 * 1024 * 1024,
      response: { type: 'object', properties: { nodes: { type: 'integer' }, groups: { type: 'integer' } } },
      handler: async ({ query, body }) => {
        const document = body as InventoryDocument;
        const groups: GroupRecord[] = Object.entries(document.groups).map(([name, g]) => ({
          name,
          description: g.description ?? '',
          attributes: g.attributes ?? {},
        }));
        const nodes: NodeRecord[] = Object.entries(document.nodes).map(([name, n]) => ({
          name,
          groups: n.groups ?? [],
          attributes: n.attributes ?? {},
        }));
        // replaceAll checks every record (a name both node and group included) and reports every problem.
        return inventory.replaceAll(groups, nodes, query['mode'] === 'merge');
      },
    },
  ];
}
