/** JSON schemas shared by several routes (and named in the OpenAPI document). */
import type { JsonSchema } from './route.ts';

export const attributeMap: JsonSchema = {
  type: 'object',
  description: 'Attribute name → raw value (a value with braces is an expression)',
  additionalProperties: { type: 'string' },
};

export const noderange: JsonSchema = { type: 'string', minLength: 1, maxLength: 65536, description: 'A noderange, e.g. n[1-20],-n5' };

export const resolvedAttribute: JsonSchema = {
  type: 'object',
  properties: {
    value: { type: 'string' },
    expression: { type: 'string' },
    inheritedFrom: { type: 'string' },
    error: { type: 'string' },
  },
};

export const nodeView: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    groups: { type: 'array', items: { type: 'string' } },
    attributes: { type: 'object', additionalProperties: resolvedAttribute },
  },
};

export const errorBody: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        where: { type: 'object' },
        more: { type: 'array' },
      },
      required: ['code', 'message'],
    },
  },
};

export const stringList: JsonSchema = { type: 'array', items: { type: 'string', minLength: 1 } };
