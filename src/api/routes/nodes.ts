/** /api/v1/nodes: define, change, show, list, remove and rename nodes by noderange. */
import { BerthError } from '../../errors.ts';
import { compileExpression, isExpression } from '../../inventory/expressions/index.ts';
import type { Inventory } from '../../inventory/inventory.ts';
import { EVERYTHING } from '../../inventory/model.ts';
import type { ResolvedAttribute } from '../../inventory/model.ts';
import { compressNodes } from '../../inventory/noderange/compress.ts';
import { expandNoderange } from '../../inventory/noderange/expand.ts';
import { globToRegExp } from '../../inventory/noderange/attribute-filter.ts';
import { isSecretAttribute } from '../../inventory/schema/index.ts';
import type { Route } from '../route.ts';
import { attributeMap, nodeView, noderange, stringList } from '../schemas.ts';
import type { Services } from '../services.ts';

export const MASK = '********';

export function nodeRoutes({ inventory }: Services): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/nodes',
      operationId: 'listNodes',
      tag: 'nodes',
      summary: 'Nodes selected by a noderange, with resolved attributes',
      query: {
        type: 'object',
        additionalProperties: false,
        properties: {
          range: { ...noderange, description: 'Noderange; all nodes when absent' },
          attributes: { type: 'string', description: "Comma-separated attribute names or globs ('net.*'); '*' for all" },
          provenance: { type: 'boolean', default: false, description: 'Include expressions and the group each value is inherited from' },
        },
      },
      response: { type: 'object', properties: { noderange: { type: 'string' }, nodes: { type: 'array', items: nodeView } } },
      handler: ({ query }) => {
        const names = query['range'] === undefined ? inventory.nodeNames() : inventory.expand(query['range'] as string);
        const select = attributeSelector(query['attributes'] as string | undefined);
        const provenance = query['provenance'] === true;
        return {
          noderange: compressNodes(names),
          nodes: names.map((name) => nodeViewOf(inventory, name, select, provenance)),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/{name}',
      operationId: 'getNode',
      tag: 'nodes',
      summary: 'One node with all its resolved attributes and their provenance',
      response: nodeView,
      handler: ({ params }) => nodeViewOf(inventory, params['name']!, () => true, true),
    },
    {
      method: 'POST',
      path: '/api/v1/nodes',
      operationId: 'defineNodes',
      tag: 'nodes',
      summary: 'Define new nodes: a noderange of new names sharing groups and attributes, and/or individual definitions',
      successStatus: 201,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          noderange: { ...noderange, description: 'Names to define (ranges expand literally)' },
          groups: stringList,
          attributes: attributeMap,
          nodes: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: { name: { type: 'string' }, groups: stringList, attributes: attributeMap },
            },
          },
        },
      },
      // Bulk definitions (`berth node define` from a file) carry every node's attributes.
      maxBodyBytes: 64 * 1024 * 1024,
      response: { type: 'object', properties: { defined: { type: 'integer' }, noderange: { type: 'string' } } },
      handler: async ({ body }) => {
        const request = body as { noderange?: string; groups?: string[]; attributes?: Record<string, string>; nodes?: { name: string; groups?: string[]; attributes?: Record<string, string> }[] };
        const definitions = [...(request.nodes ?? [])];
        if (request.noderange !== undefined) {
          for (const name of expandNoderange(request.noderange)) {
            definitions.push({ name, groups: request.groups ?? [], attributes: request.attributes ?? {} });
          }
        } else if (request.groups || request.attributes) {
          for (const d of definitions) {
            d.groups = [...(request.groups ?? []), ...(d.groups ?? [])];
            d.attributes = { ...(request.attributes ?? {}), ...(d.attributes ?? {}) };
          }
        }
        if (definitions.length === 0) throw new BerthError('BERTH_BAD_INPUT', 'nothing to define: give a noderange or nodes');
        const defined = await inventory.defineNodes(definitions);
        return { defined: defined.length, noderange: compressNodes(defined) };
      },
    },
    {
      method: 'PATCH',
      path: '/api/v1/nodes',
      operationId: 'changeNodes',
      tag: 'nodes',
      summary: 'Set or unset attributes (and replace the group list) of the nodes in a noderange, in one transaction',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['noderange'],
        properties: { noderange, set: attributeMap, unset: stringList, groups: stringList },
      },
      response: { type: 'object', properties: { changed: { type: 'integer' }, noderange: { type: 'string' } } },
      handler: async ({ body }) => {
        const request = body as { noderange: string; set?: Record<string, string>; unset?: string[]; groups?: string[] };
        const names = inventory.expand(request.noderange);
        const change: { set?: Record<string, string>; unset?: string[]; groups?: string[] } = {};
        if (request.set) change.set = request.set;
        if (request.unset) change.unset = request.unset;
        if (request.groups) change.groups = request.groups;
        const changed = await inventory.changeNodes(names, change);
        return { changed, noderange: compressNodes(names) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/nodes',
      operationId: 'removeNodes',
      tag: 'nodes',
      summary: 'Remove the nodes in a noderange',
      query: { type: 'object', additionalProperties: false, required: ['range'], properties: { range: noderange } },
      response: { type: 'object', properties: { removed: { type: 'integer' }, noderange: { type: 'string' } } },
      handler: async ({ query }) => {
        const names = inventory.expand(query['range'] as string);
        const removed = await inventory.removeNodes(names);
        return { removed, noderange: compressNodes(names) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/nodes/rename',
      operationId: 'renameNodes',
      tag: 'nodes',
      summary: "Rename nodes: to one new name, to an expression evaluated per node ('c{n1}'), or to a noderange of equal size",
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['noderange', 'to'],
        properties: { noderange, to: { type: 'string', minLength: 1 } },
      },
      response: { type: 'object', properties: { renamed: { type: 'object', additionalProperties: { type: 'string' } } } },
      handler: async ({ body }) => {
        const request = body as { noderange: string; to: string };
        const mapping = renameMapping(inventory, inventory.expand(request.noderange), request.to);
        await inventory.renameNodes(mapping);
        return { renamed: Object.fromEntries(mapping) };
      },
    },
  ];
}

function renameMapping(inventory: Inventory, names: string[], to: string): Map<string, string> {
  const mapping = new Map<string, string>();
  if (isExpression(to)) {
    const expression = compileExpression(to);
    const resolver = inventory.resolver();
    for (const name of names) {
      const node = inventory.requireNode(name);
      mapping.set(name, expression.evaluate({ node: name, attribute: (a) => resolver.value(node, a) }));
    }
    return mapping;
  }
  const targets = expandNoderange(to);
  if (targets.length !== names.length) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `cannot rename ${names.length} node(s) to ${targets.length} name(s); give as many new names as nodes, or an expression such as 'c{n1}'`,
    );
  }
  names.forEach((name, i) => mapping.set(name, targets[i]!));
  return mapping;
}

export function attributeSelector(spec: string | undefined): (name: string) => boolean {
  if (spec === undefined || spec === '') return () => false;
  const patterns = spec.split(',').map((p) => p.trim()).filter(Boolean);
  if (patterns.includes('*')) return () => true;
  // Linear time: `*a*a*…*b` backtracks polynomially on V8's ordinary engine (seconds per attribute name).
  const regexes = patterns.map(globToRegExp);
  return (name) => regexes.some((r) => r.test(name));
}

export function nodeViewOf(inventory: Inventory, name: string, select: (attribute: string) => boolean, provenance: boolean): {
  name: string;
  groups: string[];
  attributes: Record<string, ResolvedAttribute>;
} {
  const node = inventory.requireNode(name);
  const attributes: Record<string, ResolvedAttribute> = {};
  const resolved = inventory.resolver().resolveAll(node, select);
  for (const [attribute, value] of Object.entries(resolved)) {
    const shown: ResolvedAttribute = { ...value };
    if (isSecretAttribute(attribute)) {
      if (shown.value !== undefined) shown.value = MASK;
      if (shown.expression !== undefined) shown.expression = MASK;
    }
    if (!provenance) {
      delete shown.expression;
      delete shown.inheritedFrom;
    }
    attributes[attribute] = shown;
  }
  return { name, groups: [...node.groups, EVERYTHING], attributes };
}
