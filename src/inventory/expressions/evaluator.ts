import { BerthError } from '../../errors.ts';
import { findAttribute, requireAttribute } from '../schema/index.ts';
import { closestName } from '../../util/closest-name.ts';
import { syntaxError } from './expression-errors.ts';
import {
  add,
  ArithmeticProblem,
  bitAnd,
  bitOr,
  bitXor,
  floorDivide,
  invert,
  modulo,
  multiply,
  negate,
  shiftLeft,
  shiftRight,
  subtract,
} from './integer-arithmetic.ts';
import { FormatSpecProblem, integerFormatter, integerSpecProblem, isIntegerType, parseFormatSpec, textFormatter, textSpecProblem } from './format-spec.ts';
import type { BinaryOperator, Expr, Field } from './parser.ts';

/** What an expression may ask about the node it is evaluated for. */
export interface ExpressionScope {
  readonly node: string;
  /**
   * Value of another attribute of the node (evaluated if it is itself an
   * expression), undefined if unset. May throw, e.g. on a reference cycle;
   * such errors pass through unchanged.
   */
  attribute(name: string): string | undefined;
}

/** Per-evaluation state; the numbers of the node name are found once, on first use. */
export interface EvaluationContext {
  readonly node: string;
  readonly scope: ExpressionScope;
  numbers: number[] | undefined;
}

/** Why a field has no value for this node; `column` points at the part of the expression at fault. */
export class EvaluationProblem extends Error {
  readonly column: number;

  constructor(column: number, reason: string) {
    super(reason);
    this.column = column;
  }
}

type IntegerFn = (ctx: EvaluationContext) => number;
type TextFn = (ctx: EvaluationContext) => string;

const binaryOperations: Record<BinaryOperator, (a: number, b: number) => number> = {
  '|': bitOr,
  '^': bitXor,
  '&': bitAnd,
  '<<': shiftLeft,
  '>>': shiftRight,
  '+': add,
  '-': subtract,
  '*': multiply,
  '/': floorDivide,
  '//': floorDivide,
  '%': modulo,
};

const unaryOperations = { '-': negate, '+': (a: number) => a, '~': invert };

/**
 * Turns a parsed field into a function from node to text. The work that does
 * not depend on the node (name lookups, format-spec parsing) happens here,
 * once, so evaluating 100k nodes is only arithmetic and string building.
 */
export function compileField(source: string, field: Field, references: Set<string>): TextFn {
  const { expr } = field;
  let spec;
  try {
    spec = field.spec === undefined ? undefined : parseFormatSpec(field.spec);
  } catch (e) {
    if (e instanceof FormatSpecProblem) throw syntaxError(source, field.specColumn, e.message);
    throw e;
  }
  if (expr.kind === 'node' || expr.kind === 'attribute') {
    const text = compileText(source, expr, references);
    if (spec === undefined) return text;
    if (isIntegerType(spec.type)) {
      // Python would refuse {net.mgmt.vlan:04d} because attribute values are
      // strings; berth formats them as numbers when they are numbers.
      const problem = integerSpecProblem(spec);
      if (problem !== undefined) throw syntaxError(source, field.specColumn, problem);
      return withFormatter(compileInteger(source, expr, references), integerFormatter(spec), field.specColumn);
    }
    const problem = textSpecProblem(spec);
    if (problem !== undefined) throw syntaxError(source, field.specColumn, problem);
    const format = textFormatter(spec);
    return (ctx) => format(text(ctx));
  }
  const integer = compileInteger(source, expr, references);
  if (spec === undefined) return (ctx) => String(integer(ctx));
  const problem = integerSpecProblem(spec);
  if (problem !== undefined) throw syntaxError(source, field.specColumn, problem);
  return withFormatter(integer, integerFormatter(spec), field.specColumn);
}

function withFormatter(integer: IntegerFn, format: (value: number) => string, column: number): TextFn {
  return (ctx) => {
    const value = integer(ctx);
    try {
      return format(value);
    } catch (e) {
      if (e instanceof FormatSpecProblem) throw new EvaluationProblem(column, e.message);
      throw e;
    }
  };
}

function compileText(source: string, expr: Expr & { kind: 'node' | 'attribute' }, references: Set<string>): TextFn {
  return expr.kind === 'node' ? (ctx) => ctx.node : compileAttributeRead(source, expr, references);
}

function compileAttributeRead(source: string, expr: Expr & { kind: 'attribute' }, references: Set<string>): TextFn {
  const { name, column } = expr;
  checkReference(source, name, column);
  references.add(name);
  return (ctx) => {
    const value = ctx.scope.attribute(name);
    if (value === undefined) throw new EvaluationProblem(column, `it uses ${name}, which is not set for this node`);
    return value;
  };
}

/**
 * References are checked when the expression is written, not when a node
 * first needs it: a typo should fail `berth node set`, not a deployment.
 */
function checkReference(source: string, name: string, column: number): void {
  if (!name.includes('.') && findAttribute(name) === undefined) {
    const known = ['node', 'nodename', 'n0', 'n1', 'n2', 'n3'];
    const close = closestName(name, known);
    throw syntaxError(
      source,
      column,
      `unknown name '${name}'${close ? `: did you mean ${close}?` : ''} (expected node, n1, n2, ... for the numbers in the node name, n0 for the last one, or an attribute such as id.serial)`,
    );
  }
  try {
    const spec = requireAttribute(name);
    // The result would be stored and shown in clear under another name.
    if (spec.secret) throw syntaxError(source, column, `${name} is secret and cannot be used in an expression`);
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_UNKNOWN_ATTRIBUTE') {
      throw new BerthError(e.code, `expression '${source}': ${e.message} (column ${column})`, { attribute: name, column, input: source });
    }
    throw e;
  }
}

function compileInteger(source: string, expr: Expr, references: Set<string>): IntegerFn {
  switch (expr.kind) {
    case 'integer': {
      const value = expr.value;
      return () => value;
    }
    case 'node-number':
      return compileNodeNumber(expr.index, expr.text, expr.column);
    case 'node':
      return (ctx) => {
        const value = parseInteger(ctx.node);
        if (value === undefined) throw new EvaluationProblem(expr.column, `the node name is used as a number, but '${ctx.node}' is not one`);
        return value;
      };
    case 'attribute': {
      const read = compileAttributeRead(source, expr, references);
      const { name, column } = expr;
      return (ctx) => {
        const text = read(ctx);
        const value = parseInteger(text);
        if (value === undefined) {
          throw new EvaluationProblem(column, `${name} is '${text}', which is not a whole number, so it cannot be used as a number`);
        }
        return value;
      };
    }
    case 'unary': {
      const operand = compileInteger(source, expr.operand, references);
      const operation = unaryOperations[expr.op];
      if (expr.op === '+') return operand;
      return (ctx) => operation(operand(ctx));
    }
    case 'binary': {
      const left = compileInteger(source, expr.left, references);
      const right = compileInteger(source, expr.right, references);
      const operation = binaryOperations[expr.op];
      const { column, op } = expr;
      return (ctx) => {
        const a = left(ctx);
        const b = right(ctx);
        try {
          return operation(a, b);
        } catch (e) {
          if (e instanceof ArithmeticProblem) throw new EvaluationProblem(column, `${e.message} in ${a} ${op} ${b} (column ${column})`);
          throw e;
        }
      };
    }
  }
}

function compileNodeNumber(index: number, text: string, column: number): IntegerFn {
  return (ctx) => {
    const numbers = (ctx.numbers ??= numbersInName(ctx.node));
    const value = index === 0 ? numbers[numbers.length - 1] : numbers[index - 1];
    if (value === undefined) {
      const which = index === 0 ? 'the last number' : `number ${index}`;
      const has = numbers.length === 0 ? 'has none' : `has only ${numbers.length} (${numbers.join(', ')})`;
      throw new EvaluationProblem(column, `{${text}} stands for ${which} in the node name, but '${ctx.node}' ${has}`);
    }
    if (!Number.isSafeInteger(value)) throw new EvaluationProblem(column, `{${text}} is a number in the node name too large to compute with`);
    return value;
  };
}

/** The runs of digits in a node name, left to right: r3u12 → [3, 12]. */
export function numbersInName(name: string): number[] {
  const numbers: number[] = [];
  let value = -1;
  for (let i = 0; i < name.length; i++) {
    const digit = name.charCodeAt(i) - 48;
    if (digit >= 0 && digit <= 9) {
      value = value < 0 ? digit : value * 10 + digit;
    } else if (value >= 0) {
      numbers.push(value);
      value = -1;
    }
  }
  if (value >= 0) numbers.push(value);
  return numbers;
}

/** Python's int(text) for decimal text: surrounding spaces, a sign and '_' between digits allowed. */
function parseInteger(text: string): number | undefined {
  if (!/^\s*[+-]?[0-9]+(?:_[0-9]+)*\s*$/.test(text)) return undefined;
  const value = Number(text.replace(/_/g, ''));
  return Number.isSafeInteger(value) ? value : undefined;
}
