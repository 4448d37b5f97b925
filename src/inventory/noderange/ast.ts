/**
 * The parsed form of a noderange. Columns are 1-based positions in the text
 * so every later error (unknown name, needs an inventory) can point at the
 * element that caused it.
 */
import type { AttributeFilter } from './attribute-filter.ts';
import type { Bracket } from './brackets.ts';

/** `,` union, `,-` exclusion, `@` intersection; applied left to right, no precedence. */
export type SetOperator = 'union' | 'exclude' | 'intersect';

/** A node or group name, a range of them (`n1-n20`, `n1+3`), or a name with brackets. */
export interface NameAtom {
  kind: 'name';
  column: number;
  text: string;
  /** Literal text and brackets in order: `r[1-3]u[01-10]` is ['r', [1-3], 'u', [01-10]]. */
  segments: (string | Bracket)[];
}

/** `~regex` or `/regex`: nodes whose name the expression finds a match in. */
export interface RegexAtom {
  kind: 'regex';
  column: number;
  text: string;
  pattern: RegExp;
}

export interface FilterAtom {
  kind: 'filter';
  column: number;
  text: string;
  filter: AttributeFilter;
}

export interface Parenthesized {
  kind: 'parenthesized';
  column: number;
  body: Expression;
}

export type Operand = NameAtom | RegexAtom | FilterAtom | Parenthesized;

export interface Expression {
  first: Operand;
  rest: { operator: SetOperator; column: number; operand: Operand }[];
}

export interface ParsedNoderange {
  input: string;
  /** Absent when the text is pagination alone (`>10`): every node is paged. */
  expression: Expression | undefined;
  /** `<n`: leave out the first n nodes (natural order). */
  skip: number | undefined;
  /** `>n`: keep at most n nodes after skipping. */
  take: number | undefined;
}
