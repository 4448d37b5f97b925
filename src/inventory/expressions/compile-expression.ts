import { evaluationError, syntaxError } from './expression-errors.ts';
import { compileField, EvaluationProblem } from './evaluator.ts';
import type { EvaluationContext, ExpressionScope } from './evaluator.ts';
import { parseField } from './parser.ts';

export interface CompiledExpression {
  readonly source: string;
  /** Attribute names the expression reads, in order of first use: for dependency and cycle checks. */
  readonly references: readonly string[];
  /** The value for one node; throws BERTH_EXPRESSION_EVAL if it has none. */
  evaluate(scope: ExpressionScope): string;
}

/**
 * Any brace makes a value an expression, including the `{{` and `}}` escapes,
 * so that a literal brace is always written the same way and a stray `}` is
 * reported instead of stored.
 */
export function isExpression(raw: string): boolean {
  return raw.includes('{') || raw.includes('}');
}

/**
 * Compiles a confluent-style template ('{node}-bmc', '10.1.{n1}.{n2+100}').
 * Throws BERTH_EXPRESSION_SYNTAX with where.column, or BERTH_UNKNOWN_ATTRIBUTE
 * for a reference to an attribute berth does not know.
 */
export function compileExpression(source: string): CompiledExpression {
  const parts: (string | ((ctx: EvaluationContext) => string))[] = [];
  const references = new Set<string>();
  let literal = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '{' && source[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (c === '}' && source[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (c === '}') {
      throw syntaxError(source, i + 1, "single '}' without a matching '{' (write }} for a literal brace)");
    } else if (c === '{') {
      if (literal !== '') parts.push(literal);
      literal = '';
      const field = parseField(source, i);
      parts.push(compileField(source, field, references));
      i = field.end;
    } else {
      literal += c;
      i++;
    }
  }
  if (literal !== '') parts.push(literal);

  return {
    source,
    references: [...references],
    evaluate(scope: ExpressionScope): string {
      const ctx: EvaluationContext = { node: scope.node, scope, numbers: undefined };
      let out = '';
      try {
        for (const part of parts) out += typeof part === 'string' ? part : part(ctx);
      } catch (e) {
        if (e instanceof EvaluationProblem) throw evaluationError(source, scope.node, e.column, e.message);
        throw e;
      }
      return out;
    },
  };
}
