/**
 * The one logger of berth. Each record is one JSON object per line
 * (`{"time":...,"level":...,"msg":...,...fields}`) so journald, Loki or `jq`
 * can filter on fields; on a terminal (or with BERTH_LOG_FORMAT=text) it is
 * rendered for people instead: `time level component msg key=value`.
 *
 * Logging never throws: a log call that fails must not turn a handled problem
 * into a crash. Unserializable fields (cycles, BigInt) are rendered as best we
 * can, and write errors on the stream are swallowed.
 */
import { isBerthError } from '../errors.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, unknown>;

export const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const severity: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** The bit of a stream the logger needs; process.stderr, a file stream or a test double. */
export interface LogStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  on?(event: 'error', listener: (e: Error) => void): unknown;
  listenerCount?(event: 'error'): number;
}

export interface LoggerOptions {
  /** Default: BERTH_LOG_LEVEL, else 'info'. 'silent' drops everything. */
  level?: LogLevel | 'silent';
  /** Default: BERTH_LOG_FORMAT, else 'text' when the stream is a TTY, else 'json'. */
  format?: LogFormat;
  /** Default: process.stderr, keeping stdout free for command output. */
  stream?: LogStream;
  /** Fields on every record. */
  fields?: LogFields;
  env?: Record<string, string | undefined>;
  /** For tests. */
  now?: () => Date;
}

export interface Logger {
  readonly level: LogLevel | 'silent';
  readonly format: LogFormat;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  isLevelEnabled(level: LogLevel): boolean;
  /** A logger whose records all carry `fields` (e.g. `{ component: 'api' }`). */
  child(fields: LogFields): Logger;
}

/** Keys the record owns; a field of the same name is written as `field.<key>` instead of clobbering it. */
const reservedKeys = new Set(['time', 'level', 'msg']);

export function createLogger(opts: LoggerOptions = {}): Logger {
  const env = opts.env ?? process.env;
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => new Date());
  const problems: string[] = [];

  let level: LogLevel | 'silent' = 'info';
  if (opts.level !== undefined) level = opts.level;
  else if (env.BERTH_LOG_LEVEL) {
    const wanted = env.BERTH_LOG_LEVEL.toLowerCase();
    if (wanted in severity) level = wanted as LogLevel;
    else problems.push(`ignoring BERTH_LOG_LEVEL=${env.BERTH_LOG_LEVEL}: expected one of ${logLevels.join(', ')}`);
  }

  let format: LogFormat = stream.isTTY ? 'text' : 'json';
  if (opts.format !== undefined) format = opts.format;
  else if (env.BERTH_LOG_FORMAT) {
    const wanted = env.BERTH_LOG_FORMAT.toLowerCase();
    if (wanted === 'json' || wanted === 'text') format = wanted;
    else problems.push(`ignoring BERTH_LOG_FORMAT=${env.BERTH_LOG_FORMAT}: expected json or text`);
  }

  // An EPIPE on stderr (the reader went away) is emitted as an 'error' event,
  // which would crash the process if nobody listened.
  try {
    if (stream.on && stream.listenerCount && stream.listenerCount('error') === 0) stream.on('error', () => {});
  } catch {
    // a stream double without events; nothing to guard
  }

  const sink: Sink = { stream, format, threshold: severity[level], now };
  const root = makeLogger(sink, level, opts.fields ?? {});
  for (const p of problems) root.warn(p);
  return root;
}

/** A logger that drops everything, for code paths and tests that do not care. */
export function nullLogger(): Logger {
  return createLogger({ level: 'silent', stream: { write: () => true }, env: {} });
}

interface Sink {
  stream: LogStream;
  format: LogFormat;
  threshold: number;
  now: () => Date;
}

function makeLogger(sink: Sink, level: LogLevel | 'silent', bound: LogFields): Logger {
  const log = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (severity[lvl] < sink.threshold) return;
    try {
      const record = buildRecord(sink.now(), lvl, msg, { ...bound, ...fields });
      sink.stream.write(sink.format === 'json' ? toJsonLine(record) : toTextLine(record));
    } catch {
      // Never throws; see the module comment.
    }
  };
  return {
    level,
    format: sink.format,
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    isLevelEnabled: (lvl) => severity[lvl] >= sink.threshold,
    child: (fields) => makeLogger(sink, level, { ...bound, ...fields }),
  };
}

function buildRecord(time: Date, level: LogLevel, msg: string, fields: LogFields): LogFields {
  const record: LogFields = { time: time.toISOString(), level, msg: String(msg) };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    record[reservedKeys.has(k) ? `field.${k}` : k] = v instanceof Error ? serializeError(v) : v;
  }
  return record;
}

/** Errors have no enumerable properties, so JSON.stringify would log `{}`. */
export function serializeError(e: Error): LogFields {
  const out: LogFields = {};
  if (isBerthError(e)) {
    out.code = e.code;
  } else {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string') out.code = code; // Node system errors: ENOENT, EACCES...
  }
  out.message = e.message;
  if (e.name !== 'Error') out.name = e.name;
  if (isBerthError(e)) {
    if (Object.keys(e.where).length > 0) out.where = e.where;
    if (e.more.length > 0) out.more = e.more.map((m) => m.message);
  }
  out.stack = e.stack;
  if (e.cause instanceof Error) out.cause = serializeError(e.cause);
  return out;
}

function toJsonLine(record: LogFields): string {
  return JSON.stringify(record, safeReplacer()) + '\n';
}

function safeReplacer(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return serializeError(value);
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  };
}

function toTextLine(record: LogFields): string {
  const { time, level, msg, component, ...rest } = record;
  const parts = [String(time), String(level).toUpperCase().padEnd(5)];
  if (component !== undefined) parts.push(String(component));
  parts.push(String(msg));
  let stacks = '';
  for (const [k, v] of Object.entries(rest)) {
    if (isSerializedError(v)) {
      const { stack, ...brief } = v;
      parts.push(`${k}=${textValue(brief)}`);
      if (typeof stack === 'string') stacks += '\n' + stack.replace(/^/gm, '    ');
    } else {
      parts.push(`${k}=${textValue(v)}`);
    }
  }
  return parts.join(' ') + stacks + '\n';
}

function isSerializedError(v: unknown): v is LogFields {
  return typeof v === 'object' && v !== null && 'message' in v && 'stack' in v;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s="]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v, safeReplacer());
  return String(v);
}
