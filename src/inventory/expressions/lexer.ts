import { syntaxError } from './expression-errors.ts';

/**
 * Tokens of the inside of one `{...}` field. Columns are 1-based positions in
 * the whole expression so errors point into what the user typed.
 */
export type TokenKind = 'integer' | 'name' | 'operator' | 'open-paren' | 'close-paren' | 'colon' | 'close-brace' | 'end';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly column: number;
  /** Index just past the token in the source. */
  readonly end: number;
}

// Longest first, so '<<' is not read as '<' '<' and '//' not as '/' '/'.
const operators = ['<<', '>>', '//', '**', '+', '-', '*', '/', '%', '&', '|', '^', '~'];

export class Lexer {
  readonly #source: string;
  #index: number;

  constructor(source: string, start: number) {
    this.#source = source;
    this.#index = start;
  }

  /** Where the lexer stands; the format spec after ':' is read raw from here. */
  get index(): number {
    return this.#index;
  }

  next(): Token {
    const source = this.#source;
    let i = this.#index;
    while (i < source.length && (source[i] === ' ' || source[i] === '\t')) i++;
    const column = i + 1;
    const emit = (kind: TokenKind, end: number): Token => {
      this.#index = end;
      return { kind, text: source.slice(i, end), column, end };
    };
    if (i >= source.length) return emit('end', i);
    const c = source[i]!;
    if (c >= '0' && c <= '9') return emit('integer', this.#integerEnd(i));
    if (isNameStart(c)) {
      let end = i + 1;
      for (;;) {
        while (end < source.length && isNamePart(source[end]!)) end++;
        // Dotted attribute names (net.mgmt.hostname) are one token.
        if (source[end] === '.' && end + 1 < source.length && isNamePart(source[end + 1]!)) end++;
        else break;
      }
      return emit('name', end);
    }
    if (c === '(') return emit('open-paren', i + 1);
    if (c === ')') return emit('close-paren', i + 1);
    if (c === ':') return emit('colon', i + 1);
    if (c === '}') return emit('close-brace', i + 1);
    for (const op of operators) {
      if (source.startsWith(op, i)) {
        if (op === '**') throw syntaxError(source, column, "the power operator '**' is not supported");
        return emit('operator', i + op.length);
      }
    }
    if (c === '{') throw syntaxError(source, column, "'{' inside a field; nested fields are not supported (write {{ outside a field for a literal brace)");
    if (c === '!') throw syntaxError(source, column, "conversions such as !r or !s are not supported");
    if (c === '[') throw syntaxError(source, column, "indexing with '[' is not supported");
    throw syntaxError(source, column, `unexpected character '${c}' in a field`);
  }

  #integerEnd(start: number): number {
    const rest = this.#source.slice(start);
    // Python integer literals: 0x/0o/0b prefixes and '_' between digits.
    const match = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[0-9](?:_?[0-9])*)/.exec(rest)!;
    const end = start + match[0].length;
    if (end < this.#source.length && isNamePart(this.#source[end]!)) {
      throw syntaxError(this.#source, end + 1, `invalid number '${this.#source.slice(start, end + 1)}'`);
    }
    return end;
  }
}

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isNamePart(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9');
}

/** Value of an integer token, Python rules (a leading zero is refused as ambiguous). */
export function integerValue(text: string): number | undefined {
  const digits = text.replace(/_/g, '');
  if (/^0[0-9]+$/.test(digits) && !/^0+$/.test(digits)) return undefined;
  // Number() reads 0x, 0o and 0b prefixes the way Python does.
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : undefined;
}
