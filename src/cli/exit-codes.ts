/**
 * Exit codes scripts can rely on. They group error codes by what a script
 * would do about them: fix its input (2), look for the missing thing (3),
 * resolve a conflict (4), get credentials (5), wait for the server (6).
 */
import type { ErrorCode } from '../errors.ts';

export const EXIT = {
  ok: 0,
  failure: 1,
  badInput: 2,
  notFound: 3,
  conflict: 4,
  unauthorized: 5,
  unavailable: 6,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'BERTH_BAD_INPUT':
    case 'BERTH_TOO_LARGE':
    case 'BERTH_NODERANGE_SYNTAX':
    case 'BERTH_EXPRESSION_SYNTAX':
    case 'BERTH_EXPRESSION_EVAL':
    case 'BERTH_UNKNOWN_ATTRIBUTE':
    case 'BERTH_ATTRIBUTE_TYPE':
    case 'BERTH_CONFIG':
      return EXIT.badInput;
    case 'BERTH_NOT_FOUND':
      return EXIT.notFound;
    case 'BERTH_EXISTS':
    case 'BERTH_CONFLICT':
    case 'BERTH_ALREADY_RUNNING':
      return EXIT.conflict;
    case 'BERTH_UNAUTHORIZED':
    case 'BERTH_FORBIDDEN':
      return EXIT.unauthorized;
    case 'BERTH_UNAVAILABLE':
      return EXIT.unavailable;
    default:
      return EXIT.failure;
  }
}

export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  failure (internal error, store or subprocess failure)
  2  bad input: usage, noderange or expression syntax, unknown attribute, wrong type, invalid config, request too large
  3  not found: unknown node, group, token or endpoint
  4  conflict: name exists, group still in use, server already running
  5  not authorized: missing, revoked or expired token
  6  unavailable: the berth server is not running or not reachable`;
