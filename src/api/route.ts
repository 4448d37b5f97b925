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

/**
 * Enough for every small request, including a noderange at its longest
 * (64 KiB, schemas.ts) with attributes; routes that take more say so.
 */
export const DEFAULT_MAX_BODY_BYTES = 128 * 1024;

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
  /**
   * Largest request body accepted, in bytes; default DEFAULT_MAX_BODY_BYTES.
   * Declared next to the schema because only the route knows what it takes:
   * a key request is a few dozen bytes, an inventory import megabytes. A body
   * over it is refused with 413 before it is buffered.
   */
  maxBodyBytes?: number;
  /** Schema of a successful response, for the document only. */
  response?: JsonSchema;
  successStatus?: number;
  /** Who may call it; administrators by default. */
  auth?: RouteAuth;
  handler(context: RouteContext): unknown;
}

