export { compileExpression, isExpression } from './compile-expression.ts';
export type { CompiledExpression } from './compile-expression.ts';
export type { ExpressionScope } from './evaluator.ts';
