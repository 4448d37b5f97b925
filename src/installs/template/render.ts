/**
 * Renders a parsed template against the variables. Nothing is silently
 * empty: a name that is not a variable, a field a value does not have, or a
 * declared variable without a value written outside an {{#if}} is an error
 * naming the template, line and column (and what is known there).
 */
import { FILTERS, FilterRefused } from './filters.ts';
import type { FilterCall, Node, Position, TemplateSource, ValueExpr } from './syntax.ts';

interface Loop {
  item: unknown;
  index: number;
  last: boolean;
}

interface Scope {
  source: TemplateSource;
  vars: Record<string, unknown>;
  loops: Loop[];
}

export function renderNodes(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'output': {
        const value = resolve(node.expr.value, scope, 'write');
        out += writeValue(applyFilters(value, node.expr.filters, scope, node.expr.value), node.expr.value, node.expr.filters, scope);
        break;
      }
      case 'if': {
        const truthy = isTruthy(resolve(node.condition, scope, 'test'));
        out += renderNodes(truthy !== node.negate ? node.then : node.otherwise, scope);
        break;
      }
      case 'each': {
        const list = resolve(node.list, scope, 'write');
        if (list === undefined || list === null) break;
        if (!Array.isArray(list)) throw scope.source.error(node.list, `${node.list.text} is not a list, so {{#each}} cannot go through it (use {{#if ${node.list.text}}} for a single value)`);
        list.forEach((item, index) => {
          scope.loops.push({ item, index, last: index === list.length - 1 });
          try {
            out += renderNodes(node.body, scope);
          } finally {
            scope.loops.pop();
          }
        });
        break;
      }
      case 'filter': {
        const text = renderNodes(node.body, scope);
        out += writeValue(applyFilters(text, node.filters, scope, node), undefined, node.filters, scope, node);
        break;
      }
    }
  }
  return out;
}

/** '' , false, 0, an empty list, and a declared variable without a value are false. */
export function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== null && value !== false && value !== '' && value !== 0;
}

/**
 * The value of a path. `mode` 'test' (an {{#if}} condition) lets a missing
 * parent value read as no value; 'write' does not, so {{ ipv4.address }}
 * for a DHCP node says why instead of writing nothing.
 */
function resolve(expr: ValueExpr, scope: Scope, mode: 'test' | 'write'): unknown {
  const { source } = scope;
  if (expr.kind === 'literal') return expr.value;
  const loop = scope.loops.at(-1);
  let value: unknown;
  let described: string;
  if (expr.root.startsWith('@')) {
    if (!loop) throw source.error(expr, `${expr.root} is only known inside {{#each}}`);
    value = expr.root === '@index' ? loop.index : expr.root === '@first' ? loop.index === 0 : loop.last;
    return value;
  }
  if (expr.root === 'this') {
    if (!loop) throw source.error(expr, `'${expr.text}' is only known inside {{#each}}, where it is the current item`);
    value = loop.item;
    described = 'the current item';
  } else {
    if (!Object.hasOwn(scope.vars, expr.root)) {
      throw source.error(expr, `unknown variable '${expr.root}' (known: ${Object.keys(scope.vars).sort().join(', ')})`);
    }
    value = scope.vars[expr.root];
    described = `'${expr.root}'`;
  }
  for (const field of expr.fields) {
    if (value === undefined || value === null) {
      if (mode === 'test') return undefined;
      throw source.error(expr, `${described} has no value for this node, so it has no '${field}' (wrap this in {{#if ${pathUpTo(expr, field)}}}…{{/if}})`);
    }
    if (typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, field)) {
      const fields = typeof value === 'object' && !Array.isArray(value) ? Object.keys(value as object) : [];
      throw source.error(
        expr,
        fields.length > 0
          ? `${described} has no field '${field}' (fields: ${fields.sort().join(', ')})`
          : `${described} is ${Array.isArray(value) ? 'a list' : 'a single value'}, it has no field '${field}'`,
      );
    }
    value = (value as Record<string, unknown>)[field];
    described = `'${pathUpTo(expr, field, true)}'`;
  }
  return value;
}

function pathUpTo(expr: ValueExpr & { kind: 'path' }, field: string, inclusive = false): string {
  const index = expr.fields.indexOf(field);
  const fields = expr.fields.slice(0, inclusive ? index + 1 : index);
  const root = expr.root === 'this' ? 'this' : expr.root;
  return [root, ...fields].join('.');
}

function applyFilters(value: unknown, filters: FilterCall[], scope: Scope, subject: Position & { text?: string }): unknown {
  let current = value;
  for (const call of filters) {
    const filter = FILTERS[call.name]!;
    if (call.args.length !== filter.args) {
      throw scope.source.error(call, `${call.name} takes ${filter.args === 0 ? 'no arguments' : `${filter.args} quoted argument${filter.args > 1 ? 's' : ''}, such as ${call.name}(",")`}`);
    }
    if (current === undefined || current === null) throw noValue(scope, subject);
    try {
      current = filter.apply(current, call.args);
    } catch (e) {
      if (e instanceof FilterRefused) throw scope.source.error(call, `${subject.text ?? 'the block'}: ${e.message}`);
      throw e;
    }
  }
  return current;
}

function writeValue(value: unknown, expr: ValueExpr | undefined, filters: FilterCall[], scope: Scope, at?: Position): string {
  const where = expr ?? at!;
  if (value === undefined || value === null) throw noValue(scope, where as Position & { text?: string });
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const name = expr?.text ?? 'the block';
  const filtered = filters.length > 0 ? ` after | ${filters.map((f) => f.name).join(' | ')}` : '';
  if (Array.isArray(value)) throw scope.source.error(where, `${name} is a list${filtered}: write it with {{#each ${name}}}…{{/each}}, | join(",") or | json`);
  throw scope.source.error(where, `${name} is a group of fields${filtered} (${Object.keys(value as object).join(', ')}): write one of them, such as ${name}.${Object.keys(value as object)[0] ?? 'field'}`);
}

function noValue(scope: Scope, expr: Position & { text?: string }): Error {
  const name = expr.text ?? 'the value';
  return scope.source.error(expr, `'${name}' has no value for this node: write it inside {{#if ${name}}}…{{/if}}`);
}
