import { BerthError } from '../../errors.ts';

/** The expression does not parse; `column` (1-based) is where the CLI draws its caret. */
export function syntaxError(source: string, column: number, problem: string): BerthError {
  return new BerthError('BERTH_EXPRESSION_SYNTAX', `expression '${source}': ${problem} (column ${column})`, {
    column,
    input: source,
  });
}

/**
 * The expression parses but has no value for this node. where.attribute is
 * left to the caller, who knows which attribute holds the expression.
 */
export function evaluationError(source: string, node: string, column: number, problem: string): BerthError {
  return new BerthError('BERTH_EXPRESSION_EVAL', `${node}: cannot evaluate '${source}': ${problem}`, {
    node,
    column,
    input: source,
  });
}
