/**
 * Matches a request to its route, parses and validates query and body against
 * the route's schemas, and turns the result (or a thrown error) into a JSON
 * response. Every error leaves as `{ "error": { code, message, where } }` with
 * the status that matches its code.
 *
 * Bodies are bounded per route (`Route.maxBodyBytes`): a declared
 * Content-Length over the limit is refused before a byte is read, a chunked
 * body when it passes the limit, both with 413 (RFC 9110 §15.5.14), after
 * which the connection ends so the rest of the body is never read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import type { Principal, RouteAuth } from './auth.ts';
import { DEFAULT_MAX_BODY_BYTES, Reply, STREAMED } from './route.ts';
import type { Route } from './route.ts';

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
      const url = requestUrl(request.url ?? '/');
      const { compiled, params } = this.#match(request.method ?? 'GET', url.pathname);
      const maxBodyBytes = compiled.route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const declared = Number(request.headers['content-length'] ?? 0);
      // Before authentication: a refusal that costs nothing, whoever asks.
      if (declared > maxBodyBytes) throw tooLarge(maxBodyBytes);
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
        body = await readJson(request, maxBodyBytes);
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
      if (response.headersSent) response.destroy();
      else send(response, status, { error: error.toJSON() });
      if (error.code === 'BERTH_TOO_LARGE') closeAfterRefusal(request, response);
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
      compiled.paramNames.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(match[i + 1]!);
        } catch {
          throw new BerthError('BERTH_BAD_INPUT', `path parameter ${name} ${JSON.stringify(match[i + 1])} has a malformed percent escape`);
        }
      });
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

/** The request target as a URL; `//x` is a path here, not a host. */
function requestUrl(target: string): URL {
  try {
    return new URL(target.startsWith('/') ? `http://berth${target}` : target, 'http://berth');
  } catch {
    throw new BerthError('BERTH_BAD_INPUT', `the request target ${JSON.stringify(target.slice(0, 200))} is not a valid URL path`);
  }
}

function tooLarge(maxBodyBytes: number): BerthError {
  return new BerthError('BERTH_TOO_LARGE', `request body is larger than this endpoint takes (${maxBodyBytes} bytes)`);
}

/**
 * Reads the body up to `maxBodyBytes`. Past the limit it stops reading (the
 * socket is paused, not drained) and refuses; the error response closes the
 * connection.
 */
function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (e?: BerthError) => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (e) {
        request.pause();
        reject(e);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) return done(tooLarge(maxBodyBytes));
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = () => done(new BerthError('BERTH_BAD_INPUT', 'the request body was cut off'));
    const onClose = () => done(new BerthError('BERTH_BAD_INPUT', 'the request body was cut off'));
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

async function readJson(request: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const text = (await readBody(request, maxBodyBytes)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BerthError('BERTH_BAD_INPUT', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * After a refused body the connection cannot carry another request without
 * reading the rest of it, so it ends: the answer, then our FIN. Closing at
 * once, with the client's unread bytes still arriving, would reset the
 * connection and could destroy the 413 before the client reads it (the
 * "lingering close" of RFC 9112 §9.6); the socket lingers a moment instead.
 */
const LINGER_MS = 2000;

function closeAfterRefusal(request: IncomingMessage, response: ServerResponse): void {
  response.once('finish', () => {
    const socket = request.socket;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
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
