/**
 * Matches a request to its route, parses and validates query and body against
 * the route's schemas, and turns the result (or a thrown error) into a JSON
 * response. Every error leaves as `{ "error": { code, message, where } }` with
 * the status that matches its code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import type { Principal, RouteAuth } from './auth.ts';
import { Reply, STREAMED } from './route.ts';
import type { Route } from './route.ts';

const MAX_BODY_BYTES = 256 * 1024 * 1024;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  paramNames: string[];
  validateQuery?: ValidateFunction;
  validateBody?: ValidateFunction;
}

export class Router {
  readonly #routes: CompiledRoute[] = [];
  readonly routes: readonly Route[];
  readonly #log: Logger;

  constructor(routes: readonly Route[], log: Logger) {
    this.routes = routes;
    this.#log = log;
    // Query strings carry only text, so their validator coerces "10" → 10 and "true" → true.
    const queryAjv = new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, strict: false });
    const bodyAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    for (const route of routes) {
      const paramNames: string[] = [];
      const source = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        paramNames.push(name);
        return '([^/]+)';
      });
      const compiled: CompiledRoute = { route, pattern: new RegExp(`^${source}$`), paramNames };
      if (route.query) compiled.validateQuery = queryAjv.compile(route.query);
      if (route.body) compiled.validateBody = bodyAjv.compile(route.body);
      this.#routes.push(compiled);
    }
  }

  async handle(request: IncomingMessage, response: ServerResponse, authenticate: (mode: RouteAuth) => Promise<Principal>): Promise<void> {
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      const url = new URL(request.url ?? '/', 'http://berth');
      const { compiled, params } = this.#match(request.method ?? 'GET', url.pathname);
      const principal = await authenticate(compiled.route.auth ?? 'admin');
      const query: Record<string, unknown> = {};
      for (const key of new Set(url.searchParams.keys())) {
        const values = url.searchParams.getAll(key);
        query[key] = values.length === 1 ? values[0] : values;
      }
      if (compiled.validateQuery && !compiled.validateQuery(query)) {
        throw validationError('query parameter', compiled.validateQuery.errors ?? []);
      }
      let body: unknown = undefined;
      if (compiled.validateBody) {
        body = await readJson(request);
        if (!compiled.validateBody(body)) throw validationError('request body', compiled.validateBody.errors ?? []);
      }
      const result = await compiled.route.handler({ params, query, body, principal, request, response });
      if (result === STREAMED) {
        status = response.statusCode;
      } else if (result instanceof Reply) {
        status = result.status;
        send(response, status, result.body);
      } else {
        status = compiled.route.successStatus ?? 200;
        send(response, status, result);
      }
    } catch (e) {
      const error = e instanceof BerthError ? e : new BerthError('BERTH_INTERNAL', `internal error: ${(e as Error).message}`);
      if (error.code === 'BERTH_INTERNAL') this.#log.error('request failed', { error: e as Error });
      status = error.httpStatus;
      send(response, status, { error: error.toJSON() });
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.#log.debug('request', { method: request.method, path: request.url, status, ms: Math.round(ms * 10) / 10 });
    }
  }

  #match(method: string, path: string): { compiled: CompiledRoute; params: Record<string, string> } {
    let pathMatched = false;
    for (const compiled of this.#routes) {
      const match = compiled.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (compiled.route.method !== method) continue;
      const params: Record<string, string> = {};
      compiled.paramNames.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1]!)));
      return { compiled, params };
    }
    if (pathMatched) throw new BerthError('BERTH_BAD_INPUT', `${method} is not allowed on ${path}`);
    throw new BerthError('BERTH_NOT_FOUND', `no API endpoint ${method} ${path} (see /api/v1/openapi.json)`);
  }
}

function validationError(what: string, errors: ErrorObject[]): BerthError {
  const problems = errors.map((error) => {
    const pointer = error.instancePath || '/';
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') message = `has unknown property '${String(error.params['additionalProperty'])}'`;
    if (error.keyword === 'enum') message = `must be one of ${(error.params['allowedValues'] as unknown[]).join(', ')}`;
    return new BerthError('BERTH_BAD_INPUT', `${what} ${pointer} ${message}`, { pointer });
  });
  const [first, ...rest] = problems;
  return new BerthError('BERTH_BAD_INPUT', first!.message, first!.where, rest);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BerthError('BERTH_BAD_INPUT', `request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BerthError('BERTH_BAD_INPUT', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
