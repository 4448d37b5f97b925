/** /api/v1/attributes: the attribute schema, so clients can explain and complete names. */
import { attributeSchema, describeType } from '../../inventory/schema/index.ts';
import type { Route } from '../route.ts';

export function attributeRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/attributes',
      operationId: 'listAttributes',
      tag: 'inventory',
      summary: 'Every attribute berth knows, with its type and description',
      response: {
        type: 'object',
        properties: {
          attributes: {
            type: 'array',
            items: {
              type: 'object',
              properties: { name: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' }, secret: { type: 'boolean' }, planned: { type: 'string', description: 'Known but not applied yet, so refused when set: what will apply it' } },
            },
          },
        },
      },
      handler: () => ({
        attributes: attributeSchema.map((spec) => ({
          name: spec.name,
          type: spec.type,
          typeDescription: describeType(spec.type, spec),
          description: spec.description,
          ...(spec.values ? { values: spec.values } : {}),
          ...(spec.example ? { example: spec.example } : {}),
          secret: spec.secret === true,
          ...(spec.planned ? { planned: spec.planned } : {}),
        })),
      }),
    },
  ];
}
