/** Builds the OpenAPI 3.1 document from the routes' own schemas. */
import type { Route } from './route.ts';
import { errorBody } from './schemas.ts';

export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [];
    for (const match of route.path.matchAll(/\{([^}]+)\}/g)) {
      parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    const query = route.query as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
    for (const [name, schema] of Object.entries(query?.properties ?? {})) {
      parameters.push({
        name,
        in: 'query',
        required: query?.required?.includes(name) ?? false,
        ...(schema.description ? { description: schema.description } : {}),
        schema,
      });
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters,
      responses: {
        [String(route.successStatus ?? 200)]: {
          description: 'Success',
          content: { 'application/json': { schema: route.response ?? {} } },
        },
        default: { description: 'Error', content: { 'application/json': { schema: errorBody } } },
      },
    };
    if (route.body) operation['requestBody'] = { required: true, content: { 'application/json': { schema: route.body } } };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'berth admin API',
      version,
      description:
        'Administration API of berth. Reached over the root-only unix socket without credentials, or over HTTPS with a bearer token (berth token create).',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
