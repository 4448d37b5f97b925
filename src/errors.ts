/**
 * One error family for all of berth. Callers and tests match on `code`, never on
 * the message; the message is for people and says what was wrong and where.
 *
 * The CLI maps codes to exit statuses scripts can rely on (cli/exit-codes.ts).
 */
export type ErrorCode =
  | 'BERTH_BAD_INPUT' // malformed request, CLI usage error, bad JSON
  | 'BERTH_TOO_LARGE' // request body over the route's limit (HTTP 413)
  | 'BERTH_NODERANGE_SYNTAX' // noderange does not parse; `where.column` points at it
  | 'BERTH_EXPRESSION_SYNTAX' // attribute expression does not parse
  | 'BERTH_EXPRESSION_EVAL' // expression parses but cannot be evaluated for a node
  | 'BERTH_UNKNOWN_ATTRIBUTE' // attribute name not in the schema
  | 'BERTH_ATTRIBUTE_TYPE' // value fails the attribute's type check
  | 'BERTH_NOT_FOUND' // node, group, token... does not exist
  | 'BERTH_EXISTS' // name already taken
  | 'BERTH_CONFLICT' // state does not allow the change (e.g. removing a group in use)
  | 'BERTH_UNAUTHORIZED' // no or bad credentials
  | 'BERTH_FORBIDDEN' // credentials fine, action not allowed
  | 'BERTH_UNAVAILABLE' // server not running / unreachable
  | 'BERTH_ALREADY_RUNNING' // a server already holds this state dir
  | 'BERTH_STORE' // store failure (I/O, corruption, migration)
  | 'BERTH_CONFIG' // config file invalid
  | 'BERTH_SUBPROCESS' // an external tool failed
  | 'BERTH_NO_SPACE' // the disk under the state dir is full
  | 'BERTH_CORRUPT' // files under the state dir are damaged (an image version's metadata, a key)
  | 'BERTH_INTERNAL'; // a bug

/** Where the problem is: enough for a person to find and fix it. */
export interface ErrorLocation {
  /** 1-based column in `input` (noderange, expression, CSV line...). */
  column?: number;
  /** The text the column refers to, so the CLI can draw a caret under it. */
  input?: string;
  node?: string;
  group?: string;
  attribute?: string;
  /** File path and 1-based line, for config files, CSV and imports. */
  file?: string;
  line?: number;
  /** JSON pointer into a request body. */
  pointer?: string;
}

const httpStatusByCode: Record<ErrorCode, number> = {
  BERTH_BAD_INPUT: 400,
  BERTH_TOO_LARGE: 413,
  BERTH_NODERANGE_SYNTAX: 400,
  BERTH_EXPRESSION_SYNTAX: 400,
  BERTH_EXPRESSION_EVAL: 422,
  BERTH_UNKNOWN_ATTRIBUTE: 400,
  BERTH_ATTRIBUTE_TYPE: 400,
  BERTH_NOT_FOUND: 404,
  BERTH_EXISTS: 409,
  BERTH_CONFLICT: 409,
  BERTH_UNAUTHORIZED: 401,
  BERTH_FORBIDDEN: 403,
  BERTH_UNAVAILABLE: 503,
  BERTH_ALREADY_RUNNING: 409,
  BERTH_STORE: 500,
  BERTH_CONFIG: 500,
  BERTH_SUBPROCESS: 500,
  BERTH_CORRUPT: 500,
  BERTH_NO_SPACE: 507,
  BERTH_INTERNAL: 500,
};

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorLocation;
  /** Further errors of the same request (validation reports all it finds). */
  readonly more: BerthError[];

  constructor(code: ErrorCode, message: string, where: ErrorLocation = {}, more: BerthError[] = []) {
    super(message);
    this.name = 'BerthError';
    this.code = code;
    this.where = where;
    this.more = more;
  }

  get httpStatus(): number {
    return httpStatusByCode[this.code];
  }

  toJSON(): SerializedError {
    const out: SerializedError = { code: this.code, message: this.message };
    if (Object.keys(this.where).length > 0) out.where = this.where;
    if (this.more.length > 0) out.more = this.more.map((e) => e.toJSON());
    return out;
  }

  static fromJSON(json: SerializedError): BerthError {
    return new BerthError(
      json.code,
      json.message,
      json.where ?? {},
      (json.more ?? []).map((m) => BerthError.fromJSON(m)),
    );
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  where?: ErrorLocation;
  more?: SerializedError[];
}

export function isBerthError(e: unknown): e is BerthError {
  return e instanceof BerthError;
}

/** Renders `input` with a caret under `column`, for terminal output. */
export function caretLine(input: string, column: number): string {
  return `  ${input}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}
