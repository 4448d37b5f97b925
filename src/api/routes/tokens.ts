/**
 * /api/v1/tokens: bearer tokens for the HTTPS admin API. A token created
 * with a token is bounded by it (tokens/token-service.ts): it expires no
 * later, and is revoked with it.
 */
import { BerthError } from '../../errors.ts';
import type { Route } from '../route.ts';
import type { Services } from '../services.ts';

const tokenInfo = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    created: { type: 'string' },
    expires: { type: 'string' },
    createdBy: { type: 'string', description: 'Id of the token that created this one; absent when created on the unix socket' },
  },
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
      summary: "Create a token; the secret is in this response only. Created with a token, it expires no later than that token (its expiry when none is given)",
      successStatus: 201,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string' }, expires: { type: 'string', description: 'ISO 8601 time' } },
      },
      response: { type: 'object', properties: { token: { type: 'string' }, info: tokenInfo } },
      handler: async ({ body, principal }) => {
        const request = body as { name: string; expires?: string };
        let expires: Date | undefined;
        if (request.expires !== undefined) {
          expires = new Date(request.expires);
          if (Number.isNaN(expires.getTime())) throw new BerthError('BERTH_BAD_INPUT', `expires '${request.expires}' is not an ISO 8601 time`);
        }
        return tokens.create(request.name, expires, principal.kind === 'token' ? { tokenId: principal.tokenId } : undefined);
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/tokens/{id}',
      operationId: 'revokeToken',
      tag: 'tokens',
      summary: 'Revoke a token by id or name, and every token created with it (transitively)',
      response: { type: 'object', properties: { revoked: tokenInfo, alsoRevoked: { type: 'array', items: tokenInfo } } },
      handler: async ({ params }) => tokens.revoke(params['id']!),
    },
  ];
}
