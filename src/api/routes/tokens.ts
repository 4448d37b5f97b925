/** /api/v1/tokens: bearer tokens for the HTTPS admin API. */
import { BerthError } from '../../errors.ts';
import type { Route } from '../route.ts';
import type { Services } from '../services.ts';

const tokenInfo = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, created: { type: 'string' }, expires: { type: 'string' } },
};

export function tokenRoutes({ tokens }: Services): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/tokens',
      operationId: 'listTokens',
      tag: 'tokens',
      summary: 'Tokens (never their secrets)',
      response: { type: 'object', properties: { tokens: { type: 'array', items: tokenInfo } } },
      handler: async () => ({ tokens: await tokens.list() }),
    },
    {
      method: 'POST',
      path: '/api/v1/tokens',
      operationId: 'createToken',
      tag: 'tokens',
      summary: 'Create a token; the secret is in this response only',
      successStatus: 201,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string' }, expires: { type: 'string', description: 'ISO 8601 time' } },
      },
      response: { type: 'object', properties: { token: { type: 'string' }, info: tokenInfo } },
      handler: async ({ body }) => {
        const request = body as { name: string; expires?: string };
        let expires: Date | undefined;
        if (request.expires !== undefined) {
          expires = new Date(request.expires);
          if (Number.isNaN(expires.getTime())) throw new BerthError('BERTH_BAD_INPUT', `expires '${request.expires}' is not an ISO 8601 time`);
        }
        return tokens.create(request.name, expires);
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/tokens/{id}',
      operationId: 'revokeToken',
      tag: 'tokens',
      summary: 'Revoke a token by id or name',
      response: { type: 'object', properties: { revoked: tokenInfo } },
      handler: async ({ params }) => ({ revoked: await tokens.revoke(params['id']!) }),
    },
  ];
}
