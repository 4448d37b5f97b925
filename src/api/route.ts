/**
 * A route declares its request schemas next to its handler, as Fastify's
 * plugins do: the same schemas validate every request and make up the OpenAPI
 * document, so the documentation cannot drift from what the server accepts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, RouteAuth } from './auth.ts';

export type JsonSchema = Record<string, unknown>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  principal: Principal;
  request: IncomingMessage;
  /** Only for streaming routes (server-sent events), which return STREAMED and write the response themselves. */
  response: ServerResponse;
}

/** Returned by a handler that has taken over the response. */
export const STREAMED: unique symbol = Symbol('streamed');

/** A handler returns a JSON body (status 200 or the route's `successStatus`), or a Reply. */
export class Reply {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    this.status = status;
    this.body = body;
  }
}

export interface Route {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/v1/nodes/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Object schema whose properties are query parameters (values arrive as strings and are coerced). */
  query?: JsonSchema;
  body?: JsonSchema;
  /** Schema of a successful response, for the document only. */
  response?: JsonSchema;
  successStatus?: number;
  /** Who may call it; administrators by default. */
  auth?: RouteAuth;
  handler(context: RouteContext): unknown;
}

