/**
 * /api/v1/nodes: define, change, show, list, remove and rename nodes by
 * noderange. Change, remove and rename take `dryRun`: the same change,
 * validated the same way, answered with what it would do (per node the
 * resolved values old → new, what a removal takes along) and not committed
 * (inventory/change-preview.ts).
 */
import { readDeployment } from '../../deploy/deployment.ts';
import { BerthError } from '../../errors.ts';
import { DryRun } from '../../inventory/change-preview.ts';
import type { NodePreview } from '../../inventory/change-preview.ts';
import { compileExpression, isExpression } from '../../inventory/expressions/index.ts';
import type { AttributeChange, Inventory } from '../../inventory/inventory.ts';
import { EVERYTHING } from '../../inventory/model.ts';
import type { ResolvedAttribute } from '../../inventory/model.ts';
import { compressNodes } from '../../inventory/noderange/compress.ts';
import { expandNoderange } from '../../inventory/noderange/expand.ts';
import { globToRegExp } from '../../inventory/noderange/attribute-filter.ts';
import { isSecretAttribute, requireAttributePattern } from '../../inventory/schema/index.ts';
import type { Route } from '../route.ts';
import { attributeMap, nodeView, noderange, stringList } from '../schemas.ts';
import type { Services } from '../services.ts';

export const MASK = '********';

const dryRun = { type: 'boolean', default: false, description: 'Validate and answer what would change (`nodes`), without changing anything' };

/** The answer of a dry run, beside the route's usual counts. */
const preview = {
  dryRun: { type: 'boolean' },
  nodes: {
    type: 'array',
    description: 'Per node with something to change: resolved values old → new (secret ones only named), a rename, what a removal takes along',
    items: {
      type: 'object',
      properties: {
        node: { type: 'string' },
        renamedFrom: { type: 'string' },
        removed: { type: 'boolean' },
        groups: { type: 'object', properties: { from: stringList, to: stringList } },
        changes: {
          type: 'array',
          items: { type: 'object', properties: { attribute: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, secret: { type: 'boolean' } } },
        },
        ends: { type: 'array', items: { type: 'string', enum: ['node-key', 'install-deployment'] }, description: 'Node-bound records deleted with the change' },
        armed: { type: 'string', description: 'Removal only: the node is armed (once, continuous, until=...)' },
        deploymentState: { type: 'string', description: 'Removal only: the deployment.state of a node in the middle of a deployment' },
      },
    },
  },
};

/** deployment.state values of a node between `berth deploy` and its installed system (reported-state.ts). */
const MID_DEPLOYMENT = new Set(['pending', 'installing', 'post', 'booting']);

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
          dryRun,
        },
      },
      // Bulk definitions (`berth node define` from a file) carry every node's attributes.
      maxBodyBytes: 64 * 1024 * 1024,
      response: { type: 'object', properties: { defined: { type: 'integer' }, noderange: { type: 'string' } } },
      handler: async ({ body }) => {
        const request = body as { noderange?: string; groups?: string[]; attributes?: Record<string, string>; nodes?: { name: string; groups?: string[]; attributes?: Record<string, string> }[]; dryRun?: boolean };
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
        const defined = await inventory.defineNodes(definitions, request.dryRun ? new DryRun() : undefined);
        return { defined: defined.length, noderange: compressNodes(defined), ...(request.dryRun ? { dryRun: true } : {}) };
      },
    },
    {
      method: 'PATCH',
      path: '/api/v1/nodes',
      operationId: 'changeNodes',
      tag: 'nodes',
      summary: 'Set or unset attributes (and replace the group list, or add and remove groups) of the nodes in a noderange, in one transaction',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['noderange'],
        properties: {
          noderange,
          set: attributeMap,
          unset: stringList,
          groups: { ...stringList, description: "Replaces each node's group list" },
          addGroups: { ...stringList, description: 'Appended to each node\'s group list (lowest precedence) where not already in it; not with `groups`' },
          removeGroups: { ...stringList, description: "Taken out of each node's group list where present; not with `groups`" },
          dryRun,
        },
      },
      response: { type: 'object', properties: { changed: { type: 'integer' }, noderange: { type: 'string' }, ...preview } },
      handler: async ({ body }) => {
        const request = body as AttributeChange & { noderange: string; dryRun?: boolean };
        const names = inventory.expand(request.noderange);
        const change: AttributeChange = {};
        if (request.set) change.set = request.set;
        if (request.unset) change.unset = request.unset;
        if (request.groups) change.groups = request.groups;
        if (request.addGroups) change.addGroups = request.addGroups;
        if (request.removeGroups) change.removeGroups = request.removeGroups;
        const dry = request.dryRun ? new DryRun() : undefined;
        const changed = await inventory.changeNodes(names, change, dry);
        return { changed, noderange: compressNodes(names), ...(dry ? { dryRun: true, nodes: dry.nodes } : {}) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/nodes',
      operationId: 'removeNodes',
      tag: 'nodes',
      summary: 'Remove the nodes in a noderange',
      query: { type: 'object', additionalProperties: false, required: ['range'], properties: { range: noderange, dryRun } },
      response: { type: 'object', properties: { removed: { type: 'integer' }, noderange: { type: 'string' }, ...preview } },
      handler: async ({ query }) => {
        const names = inventory.expand(query['range'] as string);
        const dry = query['dryRun'] === true ? new DryRun() : undefined;
        const removed = await inventory.removeNodes(names, dry);
        return { removed, noderange: compressNodes(names), ...(dry ? { dryRun: true, nodes: withDeployment(inventory, dry.nodes) } : {}) };
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
        properties: { noderange, to: { type: 'string', minLength: 1 }, dryRun },
      },
      response: { type: 'object', properties: { renamed: { type: 'object', additionalProperties: { type: 'string' } }, ...preview } },
      handler: async ({ body }) => {
        const request = body as { noderange: string; to: string; dryRun?: boolean };
        const mapping = renameMapping(inventory, inventory.expand(request.noderange), request.to);
        const dry = request.dryRun ? new DryRun() : undefined;
        await inventory.renameNodes(mapping, dry);
        return { renamed: Object.fromEntries(mapping), ...(dry ? { dryRun: true, nodes: dry.nodes } : {}) };
      },
    },
  ];
}

/** A removal's preview, with whether each node is armed or in the middle of a deployment: removing it is never routine. */
function withDeployment(inventory: Inventory, nodes: NodePreview[]): (NodePreview & { armed?: string; deploymentState?: string })[] {
  const resolver = inventory.resolver();
  return nodes.map((preview) => {
    const deployment = readDeployment(inventory, preview.node, resolver);
    if (!deployment) return preview;
    const out: NodePreview & { armed?: string; deploymentState?: string } = { ...preview };
    if (deployment.arming.armed) out.armed = deployment.armed!;
    if (deployment.state !== undefined && MID_DEPLOYMENT.has(deployment.state)) out.deploymentState = deployment.state;
    return out;
  });
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

/** A misspelt name is an error (with a suggestion), not a column that quietly stays empty. */
export function attributeSelector(spec: string | undefined): (name: string) => boolean {
  if (spec === undefined || spec === '') return () => false;
  const patterns = spec.split(',').map((p) => p.trim()).filter(Boolean);
  for (const pattern of patterns) requireAttributePattern(pattern);
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
