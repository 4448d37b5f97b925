/**
 * Answer-file templates (syntax.ts has the language). `renderTemplate` is
 * what the node receives; `templateVariables` and `templateProblems` look at
 * every branch without rendering, so a profile's `answer.tmpl` can be checked
 * when it is saved rather than when a node first asks for it.
 */
import type { BerthError } from '../../errors.ts';
import { FILTER_NAMES } from './filters.ts';
import { renderNodes } from './render.ts';
import { parse, TemplateSource } from './syntax.ts';
import type { Node, ValueExpr } from './syntax.ts';

export { FILTERS, jsonLiteral, shellQuote, xmlEscape } from './filters.ts';

/**
 * Renders `text` with `vars`. Throws BERTH_CONFIG (`where`: file = name,
 * line, column, input = the line) for a syntax error, an unknown variable,
 * field or filter, or a variable without a value written outside {{#if}}.
 * A key present in `vars` with the value undefined is declared: false in
 * {{#if}}, an error when written.
 */
export function renderTemplate(text: string, vars: Record<string, unknown>, name: string): string {
  const source = new TemplateSource(text, name);
  return renderNodes(parse(source, FILTER_NAMES), { source, vars, loops: [] });
}

export interface TemplateVariable {
  /** The variable's name: `net` for {{ net.address }}. */
  name: string;
  /** The whole path as written: `net.address`. */
  path: string;
  line: number;
  column: number;
}

/** Every use of a variable in `text`, in every branch, in order (loop items, `this` and `@index` left out). Throws on syntax errors. */
export function templateVariables(text: string, name = 'template'): TemplateVariable[] {
  const out: TemplateVariable[] = [];
  walk(parse(new TemplateSource(text, name), FILTER_NAMES), (expr) => {
    if (expr.kind === 'path' && expr.root !== 'this' && !expr.root.startsWith('@')) {
      out.push({ name: expr.root, path: expr.text, line: expr.line, column: expr.column });
    }
  });
  return out;
}

/**
 * What would go wrong rendering `text` for some node, found without
 * rendering: syntax, and every path in every branch checked against
 * `sample`, a variables object with every optional value filled in (for
 * installs: sampleInstallVars()). Loop items are checked against the first
 * item of the sample list. Empty when the template is fine.
 */
export function templateProblems(text: string, name: string, sample: Record<string, unknown>): BerthError[] {
  const source = new TemplateSource(text, name);
  let nodes: Node[];
  try {
    nodes = parse(source, FILTER_NAMES);
  } catch (e) {
    return [e as BerthError];
  }
  const problems: BerthError[] = [];
  const items: unknown[] = [];
  const check = (expr: ValueExpr): unknown => {
    if (expr.kind === 'literal') return expr.value;
    if (expr.root.startsWith('@')) {
      if (items.length === 0) problems.push(source.error(expr, `${expr.root} is only known inside {{#each}}`));
      return 0;
    }
    let value: unknown;
    if (expr.root === 'this') {
      if (items.length === 0) {
        problems.push(source.error(expr, `'${expr.text}' is only known inside {{#each}}, where it is the current item`));
        return undefined;
      }
      value = items.at(-1);
    } else if (!Object.hasOwn(sample, expr.root)) {
      problems.push(source.error(expr, `unknown variable '${expr.root}' (known: ${Object.keys(sample).sort().join(', ')})`));
      return undefined;
    } else {
      value = sample[expr.root];
    }
    for (const field of expr.fields) {
      // An empty sample list or an unfilled value: nothing to check the field against.
      if (value === undefined || value === null || value === UNKNOWN) return UNKNOWN;
      if (typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, field)) {
        const fields = typeof value === 'object' && !Array.isArray(value) ? Object.keys(value as object).sort() : [];
        problems.push(source.error(expr, `'${expr.text}': no field '${field}'${fields.length > 0 ? ` (fields: ${fields.join(', ')})` : ''}`));
        return undefined;
      }
      value = (value as Record<string, unknown>)[field];
    }
    return value;
  };
  const visit = (list: Node[]): void => {
    for (const node of list) {
      if (node.kind === 'output') check(node.expr.value);
      else if (node.kind === 'if') {
        check(node.condition);
        visit(node.then);
        visit(node.otherwise);
      } else if (node.kind === 'each') {
        const value = check(node.list);
        items.push(Array.isArray(value) && value.length > 0 ? value[0] : UNKNOWN);
        visit(node.body);
        items.pop();
      } else if (node.kind === 'filter') visit(node.body);
    }
  };
  visit(nodes);
  return problems;
}

/** Stands for a value the sample cannot tell about (an item of an empty list). */
const UNKNOWN = Symbol('unknown');

function walk(nodes: Node[], visit: (expr: ValueExpr) => void): void {
  for (const node of nodes) {
    if (node.kind === 'output') visit(node.expr.value);
    else if (node.kind === 'if') {
      visit(node.condition);
      walk(node.then, visit);
      walk(node.otherwise, visit);
    } else if (node.kind === 'each') {
      visit(node.list);
      walk(node.body, visit);
    } else if (node.kind === 'filter') walk(node.body, visit);
  }
}
