import { syntaxError } from './expression-errors.ts';
import { integerValue, Lexer } from './lexer.ts';
import type { Token } from './lexer.ts';

/** What one `{...}` field computes. `column` is where errors about it point. */
export type Expr =
  | { readonly kind: 'integer'; readonly value: number; readonly column: number }
  | { readonly kind: 'node'; readonly column: number }
  /** {n1}..{nN}; index 0 is the last number ({n0}). */
  | { readonly kind: 'node-number'; readonly index: number; readonly text: string; readonly column: number }
  | { readonly kind: 'attribute'; readonly name: string; readonly column: number }
  | { readonly kind: 'unary'; readonly op: '-' | '+' | '~'; readonly operand: Expr; readonly column: number }
  | { readonly kind: 'binary'; readonly op: BinaryOperator; readonly left: Expr; readonly right: Expr; readonly column: number };

export type BinaryOperator = '|' | '^' | '&' | '<<' | '>>' | '+' | '-' | '*' | '/' | '//' | '%';

export interface Field {
  readonly expr: Expr;
  /** Text after ':' (undefined without one) and the column of its first character. */
  readonly spec: string | undefined;
  readonly specColumn: number;
  /** Index just past the closing '}'. */
  readonly end: number;
}

/**
 * Python's binary operator precedence, loosest first. `/` and `//` are the
 * same floor division (confluent maps `/` to floor division; `//` is accepted
 * for people who write Python).
 */
const levels: readonly (readonly BinaryOperator[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%']];

/** Parses the field whose '{' is at `open` in `source`. */
export function parseField(source: string, open: number): Field {
  const lexer = new Lexer(source, open + 1);
  let token = lexer.next();
  const advance = (): void => {
    token = lexer.next();
  };
  const describe = (t: Token): string => (t.kind === 'end' ? 'the end of the expression' : `'${t.text}'`);
  const unclosed = (): never => {
    throw syntaxError(source, source.length + 1, `missing '}' to close the field opened at column ${open + 1}`);
  };

  const parseLevel = (level: number): Expr => {
    if (level === levels.length) return parseUnary();
    let left = parseLevel(level + 1);
    while (token.kind === 'operator' && (levels[level] as readonly string[]).includes(token.text)) {
      const op = token.text as BinaryOperator;
      const column = token.column;
      advance();
      const right = parseLevel(level + 1);
      left = { kind: 'binary', op, left, right, column };
    }
    return left;
  };

  const parseUnary = (): Expr => {
    if (token.kind === 'operator' && (token.text === '-' || token.text === '+' || token.text === '~')) {
      const op = token.text;
      const column = token.column;
      advance();
      return { kind: 'unary', op, operand: parseUnary(), column };
    }
    return parseAtom();
  };

  const parseAtom = (): Expr => {
    const t = token;
    if (t.kind === 'integer') {
      const value = integerValue(t.text);
      if (value === undefined) {
        const why = /^0[0-9_]*[1-9]/.test(t.text) ? 'leading zeros are not allowed in numbers (write the plain number)' : 'the number is larger than 2^53';
        throw syntaxError(source, t.column, `invalid number '${t.text}': ${why}`);
      }
      advance();
      return { kind: 'integer', value, column: t.column };
    }
    if (t.kind === 'name') {
      advance();
      return nameExpr(t.text, t.column);
    }
    if (t.kind === 'open-paren') {
      advance();
      const inner = parseLevel(0);
      if (token.kind === 'end') unclosed();
      if (token.kind !== 'close-paren') throw syntaxError(source, token.column, `expected ')' to close the '(' at column ${t.column}, found ${describe(token)}`);
      advance();
      return inner;
    }
    if (t.kind === 'end') unclosed();
    if (t.kind === 'close-brace' && source.slice(open + 1, t.column - 1).trim() === '') {
      throw syntaxError(source, t.column, 'empty field: expected a name such as {node} or {n1} (write {{ for a literal brace)');
    }
    throw syntaxError(source, t.column, `expected a number, a name or '(', found ${describe(t)}`);
  };

  const expr = parseLevel(0);
  if (token.kind === 'close-brace') return { expr, spec: undefined, specColumn: token.column, end: token.end };
  if (token.kind === 'colon') {
    const specStart = lexer.index;
    const close = source.indexOf('}', specStart);
    const nested = source.indexOf('{', specStart);
    if (nested >= 0 && (close < 0 || nested < close)) {
      throw syntaxError(source, nested + 1, "'{' inside a format specifier; nested fields are not supported");
    }
    if (close < 0) unclosed();
    return { expr, spec: source.slice(specStart, close), specColumn: specStart + 1, end: close + 1 };
  }
  if (token.kind === 'end') unclosed();
  if (token.kind === 'close-paren') throw syntaxError(source, token.column, "')' without a matching '('");
  throw syntaxError(source, token.column, `expected an operator, ':' or '}', found ${describe(token)}`);
}

function nameExpr(name: string, column: number): Expr {
  if (name === 'node' || name === 'nodename') return { kind: 'node', column };
  const number = /^n([0-9]+)$/.exec(name);
  if (number) return { kind: 'node-number', index: Number(number[1]), text: name, column };
  return { kind: 'attribute', name, column };
}
