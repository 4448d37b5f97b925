/**
 * Parses noderange text into an AST (ast.ts) without looking at the
 * inventory, so every syntax error is found, with its column, before any
 * name is resolved.
 *
 * Grammar (confluent's, made explicit):
 *
 *   noderange   = [expression] pagination*
 *   expression  = operand { ("," | ",-" | "@") operand }      left to right
 *   operand     = "(" expression ")" | regex | filter | name
 *   regex       = ("~" | "/") text
 *   filter      = attribute ("==" | "=" | "!=" | "=~" | "!~") text
 *   name        = { name-character | "[" bracket "]" }
 *   pagination  = ("<" | ">") digits                          only at the end
 *
 * A regex or filter value runs to the next `,` `@` `)` `<` `>` that is not
 * inside (), [] or {} and not escaped with a backslash, so `~r(1|2)u..` and
 * `=~^r[1,2]` work. Spaces between elements are ignored. Regexes compile on
 * the linear-time engine (linear-regexp.ts).
 */
import { compileAttributeFilter } from './attribute-filter.ts';
import type { FilterOperator } from './attribute-filter.ts';
import type { Expression, Operand, ParsedNoderange, SetOperator } from './ast.ts';
import { parseBracket } from './brackets.ts';
import type { Bracket } from './brackets.ts';
import { MAX_PARENTHESIS_DEPTH } from './limits.ts';
import { compileLinearRegExp } from './linear-regexp.ts';
import { syntaxError } from './noderange-errors.ts';

/** The characters confluent allows in a node word (besides brackets), and '?' for attribute wildcards. */
const NAME_CHARACTER = /[A-Za-z0-9_.:+*?^$/~!-]/;
const SPACE = /\s/;
const OPENERS = '([{';
const CLOSERS = ')]}';

export function parseNoderange(input: string): ParsedNoderange {
  return new NoderangeParser(input).parse();
}

class NoderangeParser {
  readonly input: string;
  private pos = 0;
  private depth = 0;

  constructor(input: string) {
    this.input = input;
  }

  parse(): ParsedNoderange {
    this.skipSpace();
    if (this.atEnd()) throw this.error('empty noderange', 1);
    const next = this.peek();
    const expression = next === '<' || next === '>' ? undefined : this.parseExpression();
    return { input: this.input, expression, ...this.parsePagination() };
  }

  private parseExpression(): Expression {
    const first = this.parseOperand(undefined);
    const rest: Expression['rest'] = [];
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === undefined || c === ')' || c === '<' || c === '>') return { first, rest };
      const column = this.pos + 1;
      let operator: SetOperator;
      let symbol: string;
      if (c === '@') {
        operator = 'intersect';
        symbol = '@';
        this.pos++;
      } else if (c === ',' && this.nextNonSpace(this.pos + 1) === '-') {
        // `a, -b` reads as exclusion too: a name cannot start with '-'.
        operator = 'exclude';
        symbol = ',-';
        this.pos = this.input.indexOf('-', this.pos) + 1;
      } else if (c === ',') {
        operator = 'union';
        symbol = ',';
        this.pos++;
      } else {
        throw this.error(`missing ',' or '@' before '${this.wordAt(this.pos)}'`, column);
      }
      rest.push({ operator, column, operand: this.parseOperand({ symbol, column }) });
    }
  }

  private parseOperand(after: { symbol: string; column: number } | undefined): Operand {
    this.skipSpace();
    const c = this.peek();
    const column = this.pos + 1;
    if (after && (c === undefined || c === ',' || c === '@' || c === ')' || c === '<' || c === '>')) {
      throw this.error(`empty element after '${after.symbol}'`, after.column);
    }
    switch (c) {
      case ',':
      case '@':
        throw this.error(`empty element before '${c}'`, column);
      case '<':
      case '>':
        throw this.error(`'>'/'<' pagination must come last, outside parentheses`, column);
      case '-':
        throw this.error(`'-' excludes only after ',' (write 'a,-b')`, column);
      case '(':
        return this.parseParenthesized();
      default:
        return this.parseAtom();
    }
  }

  private parseParenthesized(): Operand {
    const column = this.pos + 1;
    if (this.depth >= MAX_PARENTHESIS_DEPTH) {
      throw this.error(`parentheses nested deeper than ${MAX_PARENTHESIS_DEPTH}`, column);
    }
    this.pos++;
    this.depth++;
    this.skipSpace();
    if (this.atEnd()) throw this.error(`unbalanced '('`, column);
    if (this.peek() === ')') throw this.error(`empty element after '('`, column);
    const body = this.parseExpression();
    this.skipSpace();
    const c = this.peek();
    if (c === ')') {
      this.pos++;
      this.depth--;
      return { kind: 'parenthesized', column, body };
    }
    if (c === '<' || c === '>') {
      throw this.error(`'>'/'<' pagination must come last, outside parentheses`, this.pos + 1);
    }
    throw this.error(`unbalanced '('`, column);
  }

  private parseAtom(): Operand {
    const start = this.pos;
    const column = start + 1;
    const first = this.peek()!;
    if (first === '~' || first === '/') {
      this.pos++;
      const { text, column: patternColumn } = this.scanExpressionText();
      if (text === '') throw this.error(`empty regular expression after '${first}'`, column);
      const pattern = compileLinearRegExp(text, patternColumn, this.input);
      return { kind: 'regex', column, text: this.input.slice(start, this.pos).trimEnd(), pattern };
    }

    const segments: (string | Bracket)[] = [];
    let literal = '';
    while (!this.atEnd()) {
      const c = this.peek()!;
      if (c === '[') {
        if (literal) segments.push(literal);
        literal = '';
        segments.push(this.scanBracket());
        continue;
      }
      const operator = this.operatorAt(this.pos);
      if (operator) return this.parseFilter(start, operator);
      if (c === ']') throw this.error(`unexpected ']' without '['`, this.pos + 1);
      if (c === ',' || c === '@' || c === '(' || c === ')' || c === '<' || c === '>' || SPACE.test(c)) break;
      if (!NAME_CHARACTER.test(c)) throw this.error(`unexpected character '${c}'`, this.pos + 1);
      literal += c;
      this.pos++;
    }
    if (literal) segments.push(literal);
    return { kind: 'name', column, text: this.input.slice(start, this.pos), segments };
  }

  private operatorAt(pos: number): FilterOperator | undefined {
    const c = this.input[pos];
    const next = this.input[pos + 1];
    if (c === '=') return next === '=' ? '==' : next === '~' ? '=~' : '=';
    if (c === '!' && next === '=') return '!=';
    if (c === '!' && next === '~') return '!~';
    return undefined;
  }

  private parseFilter(start: number, operator: FilterOperator): Operand {
    const attribute = this.input.slice(start, this.pos);
    const operatorColumn = this.pos + 1;
    this.pos += operator.length;
    const { text: value, column: valueColumn } = this.scanExpressionText();
    const filter = compileAttributeFilter(attribute, operator, value, {
      input: this.input,
      attributeColumn: start + 1,
      operatorColumn,
      valueColumn,
    });
    return { kind: 'filter', column: start + 1, text: this.input.slice(start, this.pos).trimEnd(), filter };
  }

  /** `[...]` at the current position, parsed; brackets do not nest. */
  private scanBracket(): Bracket {
    const open = this.pos;
    for (let i = open + 1; i < this.input.length; i++) {
      const c = this.input[i];
      if (c === ']') {
        this.pos = i + 1;
        return parseBracket(this.input.slice(open + 1, i), open + 1, this.input);
      }
      if (c === '[') throw this.error(`brackets cannot nest: '[' inside '['`, i + 1);
    }
    throw this.error(`unclosed '['`, open + 1);
  }

  /**
   * The text of a regex or filter value: up to the next top-level `,` `@`
   * `)` `<` `>`, keeping balanced (), [] and {} and backslash escapes whole.
   * Surrounding spaces are layout, not part of the value.
   */
  private scanExpressionText(): { text: string; column: number } {
    const begin = this.pos;
    const open: number[] = [];
    while (!this.atEnd()) {
      const c = this.peek()!;
      if (c === '\\') {
        this.pos = Math.min(this.pos + 2, this.input.length);
        continue;
      }
      const innermost = open.length > 0 ? this.input[open[open.length - 1]!] : undefined;
      if (innermost === undefined && ',@)<>'.includes(c)) break;
      if (innermost === '[') {
        // Inside a character class only ']' means anything.
        if (c === ']') open.pop();
      } else if (OPENERS.includes(c)) {
        open.push(this.pos);
      } else if (CLOSERS.includes(c) && innermost !== undefined) {
        open.pop();
      }
      this.pos++;
    }
    if (open.length > 0) throw this.error(`unbalanced '${this.input[open[0]!]}'`, open[0]! + 1);
    const raw = this.input.slice(begin, this.pos);
    const leading = raw.length - raw.trimStart().length;
    return { text: raw.trim(), column: begin + leading + 1 };
  }

  private parsePagination(): { skip: number | undefined; take: number | undefined } {
    let skip: number | undefined;
    let take: number | undefined;
    let firstColumn: number | undefined;
    let firstText = '';
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === undefined) return { skip, take };
      const column = this.pos + 1;
      if (c === '<' || c === '>') {
        let end = this.pos + 1;
        while (end < this.input.length && /[0-9]/.test(this.input[end]!)) end++;
        if (end === this.pos + 1) throw this.error(`'${c}' must be followed by a number of nodes`, column + 1);
        const count = Number(this.input.slice(this.pos + 1, end));
        if (c === '<') {
          if (skip !== undefined) throw this.error(`'<' pagination given twice`, column);
          skip = count;
        } else {
          if (take !== undefined) throw this.error(`'>' pagination given twice`, column);
          take = count;
        }
        if (firstColumn === undefined) {
          firstColumn = column;
          firstText = this.input.slice(this.pos, end);
        }
        this.pos = end;
        continue;
      }
      if (c === ')') throw this.error(`unbalanced ')'`, column);
      // Only reachable after pagination: anything else means it was not last.
      throw this.error(`'>'/'<' pagination must come last (found '${firstText}' before '${c}')`, firstColumn ?? column);
    }
  }

  /** The element starting at `from`, for messages: `n2` in `n1 n2`. */
  private wordAt(from: number): string {
    const match = /^[^\s,@()<>]+/.exec(this.input.slice(from, from + 40));
    return match ? match[0] : this.input[from]!;
  }

  private nextNonSpace(from: number): string | undefined {
    let i = from;
    while (i < this.input.length && SPACE.test(this.input[i]!)) i++;
    return this.input[i];
  }

  private skipSpace(): void {
    while (!this.atEnd() && SPACE.test(this.peek()!)) this.pos++;
  }

  private peek(): string | undefined {
    return this.input[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  private error(message: string, column: number) {
    return syntaxError(message, column, this.input);
  }
}
