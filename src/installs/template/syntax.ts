/**
 * The answer-file template language, parsed: text with `{{ ... }}` tags.
 *
 *   {{ name }}  {{ net.address }}       a value, by dotted path from the variables
 *   {{ x | xml }}  {{ list | join(",") }}  a value through filters (filters.ts), left to right
 *   {{ "{{" }}                          a string literal (how to write a literal `{{`)
 *   {{#if x}} … {{else}} … {{/if}}      false for '', an empty list, false and a declared variable without a value
 *   {{#unless x}} … {{/unless}}         the opposite
 *   {{#each list}} … {{ . }} {{ this.field }} {{ @index }} {{ @first }} {{ @last }} … {{/each}}
 *   {{#filter json}} … {{/filter}}      renders the block, then passes the text through the filters:
 *                                       a shell script inside a JSON string, say
 *   {{! comment }}                      nothing
 *   {{!-- comment with }} in it --}}     nothing either
 *
 * A block tag or comment alone on its line takes the whole line with it
 * (Handlebars' "standalone" rule), so line-based formats (Kickstart, YAML)
 * come out without stray blank lines or indentation.
 *
 * Everything here is syntax: the positions are 1-based line and column of the
 * tag (or of the token inside it) in the template text, for error messages.
 */
import { BerthError } from '../../errors.ts';

export interface Position {
  line: number;
  column: number;
}

export interface FilterCall extends Position {
  name: string;
  args: string[];
}

/** A value: a path from the variables (`a.b`, `.`, `this.x`, `@index`) or a string literal. */
export type ValueExpr = ({ kind: 'path'; root: string; fields: string[] } | { kind: 'literal'; value: string }) & Position & { text: string };

export interface Expression extends Position {
  value: ValueExpr;
  filters: FilterCall[];
}

export type Node =
  | { kind: 'text'; text: string }
  | ({ kind: 'output'; expr: Expression } & Position)
  | ({ kind: 'if'; negate: boolean; condition: ValueExpr; then: Node[]; otherwise: Node[] } & Position)
  | ({ kind: 'each'; list: ValueExpr; body: Node[] } & Position)
  | ({ kind: 'filter'; filters: FilterCall[]; body: Node[] } & Position);

/** Names that may follow `@` inside `{{#each}}`. */
export const LOOP_DATA = ['index', 'first', 'last'] as const;

type Token =
  | { kind: 'text'; text: string; start: number }
  | { kind: 'tag'; body: string; start: number; bodyStart: number };

export class TemplateSource {
  readonly name: string;
  readonly text: string;
  readonly #lineStarts: number[];

  constructor(text: string, name: string) {
    this.name = name;
    this.text = text;
    this.#lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.#lineStarts.push(i + 1);
  }

  position(offset: number): Position {
    let low = 0;
    let high = this.#lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#lineStarts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - this.#lineStarts[low]! + 1 };
  }

  lineText(line: number): string {
    const start = this.#lineStarts[line - 1] ?? 0;
    const next = this.#lineStarts[line];
    return this.text.slice(start, next === undefined ? undefined : next - 1).replace(/\r$/, '');
  }

  /** A BERTH_CONFIG error pointing at a place in this template: `name:line:column: message`. */
  error(at: Position, message: string): BerthError {
    return new BerthError('BERTH_CONFIG', `${this.name}:${at.line}:${at.column}: ${message}`, {
      file: this.name,
      line: at.line,
      column: at.column,
      input: this.lineText(at.line),
    });
  }
}

function tokenize(source: TemplateSource): Token[] {
  const { text } = source;
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open === -1) {
      tokens.push({ kind: 'text', text: text.slice(at), start: at });
      break;
    }
    if (open > at) tokens.push({ kind: 'text', text: text.slice(at, open), start: at });
    // {{!-- ... --}} is a comment that may itself contain }} (such as a tag it explains).
    const long = text.startsWith('{{!--', open) ? text.indexOf('--}}', open + 5) : -1;
    const close = text.startsWith('{{!--', open) ? (long === -1 ? -1 : long + 2) : findClose(text, open + 2);
    if (close === -1) throw source.error(source.position(open), 'this {{ is never closed with }}');
    // Positions inside a tag are counted along one line, so only comments may span lines.
    const newline = text.indexOf('\n', open);
    if (newline !== -1 && newline < close && !text.slice(open + 2, close).trimStart().startsWith('!')) {
      throw source.error(source.position(open), 'this {{ is not closed with }} on the same line');
    }
    tokens.push({ kind: 'tag', body: text.slice(open + 2, close), start: open, bodyStart: open + 2 });
    at = close + 2;
  }
  return stripStandalone(tokens);
}

/** The `}}` closing a tag, skipping string literals (which may contain `}}`). */
function findClose(text: string, from: number): number {
  // A comment is not an expression: quotes in it (don't) mean nothing.
  if (/^\s*!/.test(text.slice(from, from + 200))) return text.indexOf('}}', from);
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n') return -1;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '}' && text[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

const STANDALONE = /^\s*(?:[#/!]|else\s*$)/;

/**
 * A block tag or comment alone on its line: drop the indentation before it
 * and the line break after it, so the line disappears from the output.
 * Decided on the original text first, then applied, so two such tags on
 * consecutive lines both go.
 */
function stripStandalone(tokens: Token[]): Token[] {
  const standalone = tokens.map((tag, i) => {
    if (tag.kind !== 'tag' || !STANDALONE.test(tag.body)) return false;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    // Only indentation between the line start (or the file start) and the tag, only blanks up to the line end.
    const lineStart = before === undefined || (before.kind === 'text' && (/\n[ \t]*$/.test(before.text) || (i === 1 && /^[ \t]*$/.test(before.text))));
    const lineEnd = after === undefined || (after.kind === 'text' && /^[ \t]*(\r?\n|$)/.test(after.text));
    return lineStart && lineEnd;
  });
  tokens.forEach((_tag, i) => {
    if (!standalone[i]) return;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    if (before?.kind === 'text') before.text = before.text.replace(/[ \t]*$/, '');
    if (after?.kind === 'text') {
      const m = /^[ \t]*(\r?\n)?/.exec(after.text)!;
      after.text = after.text.slice(m[0].length);
      after.start += m[0].length;
    }
  });
  return tokens;
}

/** Parses a template; syntax errors (unclosed blocks, unknown tags, bad paths) throw BERTH_CONFIG naming name:line:column. */
export function parse(source: TemplateSource, knownFilters: ReadonlySet<string>): Node[] {
  const tokens = tokenize(source);
  let index = 0;

  type Frame = { kind: 'if' | 'unless' | 'each' | 'filter'; at: Position };

  function parseUntil(frame: Frame | undefined): { nodes: Node[]; end: 'else' | 'close' | 'eof'; elseAt?: Position } {
    const nodes: Node[] = [];
    while (index < tokens.length) {
      const token = tokens[index++]!;
      if (token.kind === 'text') {
        if (token.text) nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const at = source.position(token.start);
      const lead = token.body.length - token.body.trimStart().length;
      const body = token.body.trim();
      const bodyAt = source.position(token.bodyStart + lead);
      if (body.startsWith('!')) continue;
      if (body === '') throw source.error(at, 'empty tag {{ }}: write a variable name, such as {{ hostname }}');
      if (body === 'else') {
        if (!frame || (frame.kind !== 'if' && frame.kind !== 'unless')) throw source.error(at, '{{else}} outside {{#if}} or {{#unless}}');
        return { nodes, end: 'else', elseAt: at };
      }
      if (body.startsWith('/')) {
        const name = body.slice(1).trim();
        if (!frame) throw source.error(at, `{{/${name}}} closes a block that was never opened`);
        if (name !== frame.kind) throw source.error(at, `{{/${name}}} does not match {{#${frame.kind}}} opened at line ${frame.at.line}, column ${frame.at.column}`);
        return { nodes, end: 'close' };
      }
      if (body.startsWith('#')) {
        const m = /^#([a-z]+)\s*/.exec(body)!;
        const keyword = m[1] ?? '';
        const rest = body.slice(m[0].length);
        const restAt = source.position(token.bodyStart + lead + m[0].length);
        if (keyword === 'if' || keyword === 'unless') {
          const condition = parseValue(source, rest, restAt, 'condition');
          const inner = parseUntil({ kind: keyword, at });
          let otherwise: Node[] = [];
          if (inner.end === 'else') {
            const rest2 = parseUntil({ kind: keyword, at });
            if (rest2.end === 'else') throw source.error(rest2.elseAt!, `a second {{else}} in the {{#${keyword}}} opened at line ${at.line}`);
            if (rest2.end === 'eof') throw source.error(at, `{{#${keyword}}} is never closed with {{/${keyword}}}`);
            otherwise = rest2.nodes;
          } else if (inner.end === 'eof') {
            throw source.error(at, `{{#${keyword}}} is never closed with {{/${keyword}}}`);
          }
          nodes.push({ kind: 'if', negate: keyword === 'unless', condition, then: inner.nodes, otherwise, ...at });
          continue;
        }
        if (keyword === 'each') {
          const list = parseValue(source, rest, restAt, 'list');
          if (list.kind === 'literal') throw source.error(restAt, '{{#each}} needs a list variable, not a string');
          const inner = parseUntil({ kind: 'each', at });
          if (inner.end === 'eof') throw source.error(at, '{{#each}} is never closed with {{/each}}');
          nodes.push({ kind: 'each', list, body: inner.nodes, ...at });
          continue;
        }
        if (keyword === 'filter') {
          const filters = parseFilters(source, rest.trim() === '' ? '' : `| ${rest}`, source.position(token.bodyStart + lead + m[0].length - 2), knownFilters);
          if (filters.length === 0) throw source.error(at, '{{#filter}} needs a filter, such as {{#filter json}}');
          const inner = parseUntil({ kind: 'filter', at });
          if (inner.end === 'eof') throw source.error(at, '{{#filter}} is never closed with {{/filter}}');
          nodes.push({ kind: 'filter', filters, body: inner.nodes, ...at });
          continue;
        }
        throw source.error(at, `unknown block {{#${keyword}}} (blocks: #if, #unless, #each, #filter)`);
      }
      nodes.push({ kind: 'output', expr: parseExpression(source, body, bodyAt, knownFilters), ...at });
    }
    return { nodes, end: 'eof' };
  }

  const top = parseUntil(undefined);
  return top.nodes;
}

function parseExpression(source: TemplateSource, body: string, at: Position, knownFilters: ReadonlySet<string>): Expression {
  const { value, rest, restOffset } = scanValue(source, body, at);
  const filters = parseFilters(source, rest, advance(at, restOffset), knownFilters);
  return { value, filters, ...at };
}

function parseValue(source: TemplateSource, text: string, at: Position, what: string): ValueExpr {
  const trimmed = text.trimEnd();
  if (trimmed === '') throw source.error(at, `this block needs a ${what}, such as {{#if proxy}}`);
  const { value, rest, restOffset } = scanValue(source, trimmed, at);
  if (rest.trim() !== '') throw source.error(advance(at, restOffset), `unexpected ${JSON.stringify(rest.trim())} after the ${what} (filters go in {{ }} tags, not in block conditions)`);
  return value;
}

const PATH = /^(?:this(?:\.[A-Za-z_][A-Za-z0-9_-]*)*|@[A-Za-z]+|\.[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*|\.|[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)/;

function scanValue(source: TemplateSource, text: string, at: Position): { value: ValueExpr; rest: string; restOffset: number } {
  if (text.startsWith('"') || text.startsWith("'")) {
    const { value, length } = scanString(source, text, at);
    return { value: { kind: 'literal', value, text: text.slice(0, length), ...at }, rest: text.slice(length), restOffset: length };
  }
  const m = PATH.exec(text);
  if (!m || (text.length > m[0].length && !/^\s|^\|/.test(text.slice(m[0].length)))) {
    const bad = text.split(/[\s|]/)[0] ?? text;
    throw source.error(at, `${JSON.stringify(bad)} is not a variable name (names are letters, digits, '_' and '-', joined by dots: net.address)`);
  }
  const path = m[0];
  let root: string;
  let fields: string[];
  if (path === '.' || path === 'this') {
    root = 'this';
    fields = [];
  } else if (path.startsWith('this.')) {
    root = 'this';
    fields = path.slice(5).split('.');
  } else if (path.startsWith('.')) {
    root = 'this';
    fields = path.slice(1).split('.');
  } else if (path.startsWith('@')) {
    root = path;
    fields = [];
    if (!(LOOP_DATA as readonly string[]).includes(path.slice(1))) throw source.error(at, `unknown ${path} (inside {{#each}}: ${LOOP_DATA.map((d) => `@${d}`).join(', ')})`);
  } else {
    [root, ...fields] = path.split('.') as [string, ...string[]];
  }
  return { value: { kind: 'path', root, fields, text: path, ...at }, rest: text.slice(path.length), restOffset: path.length };
}

function scanString(source: TemplateSource, text: string, at: Position): { value: string; length: number } {
  const quote = text[0]!;
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) break;
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      i++;
    } else if (c === quote) {
      return { value, length: i + 1 };
    } else {
      value += c;
    }
  }
  throw source.error(at, 'this string is never closed');
}

function parseFilters(source: TemplateSource, text: string, at: Position, knownFilters: ReadonlySet<string>): FilterCall[] {
  const filters: FilterCall[] = [];
  let offset = 0;
  const skipSpace = () => {
    while (offset < text.length && /\s/.test(text[offset]!)) offset++;
  };
  skipSpace();
  while (offset < text.length) {
    if (text[offset] !== '|') throw source.error(advance(at, offset), `unexpected ${JSON.stringify(text.slice(offset).trim())}: a value is followed by filters only, such as | xml`);
    offset++;
    skipSpace();
    const nameAt = advance(at, offset);
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(offset));
    if (!m) throw source.error(nameAt, 'a filter name must follow |');
    const name = m[0];
    if (!knownFilters.has(name)) throw source.error(nameAt, `unknown filter '${name}' (filters: ${[...knownFilters].sort().join(', ')})`);
    offset += name.length;
    const args: string[] = [];
    if (text[offset] === '(') {
      offset++;
      skipSpace();
      while (text[offset] !== ')') {
        if (text[offset] !== '"' && text[offset] !== "'") throw source.error(advance(at, offset), `the arguments of ${name}(...) are quoted strings, such as join(",")`);
        const s = scanString(source, text.slice(offset), advance(at, offset));
        args.push(s.value);
        offset += s.length;
        skipSpace();
        if (text[offset] === ',') {
          offset++;
          skipSpace();
        } else if (text[offset] !== ')') {
          throw source.error(advance(at, offset), `expected , or ) in the arguments of ${name}(...)`);
        }
      }
      offset++;
    }
    filters.push({ name, args, ...nameAt });
    skipSpace();
  }
  return filters;
}

/** The position `count` characters further along the same line (tags do not span lines). */
function advance(at: Position, count: number): Position {
  return { line: at.line, column: at.column + count };
}
