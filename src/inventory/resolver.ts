/**
 * Resolves a node's attributes: its own value first, then each of its groups
 * in order, then `everything`. Expressions are evaluated for the node they are
 * resolved for, wherever they were set, so a group-level expression yields a
 * different value per member.
 */
import { BerthError } from '../errors.ts';
import { compileExpression, isExpression } from './expressions/index.ts';
import type { CompiledExpression } from './expressions/index.ts';
import { EVERYTHING } from './model.ts';
import type { InventoryReader, NodeRecord, ResolvedAttribute } from './model.ts';

export class Resolver {
  readonly #reader: InventoryReader;
  // Compiled once per distinct expression text: 100k nodes usually share a few.
  static readonly #compiled = new Map<string, CompiledExpression>();

  constructor(reader: InventoryReader) {
    this.#reader = reader;
  }

  static compile(source: string): CompiledExpression {
    let compiled = Resolver.#compiled.get(source);
    if (compiled === undefined) {
      compiled = compileExpression(source);
      if (Resolver.#compiled.size > 10_000) Resolver.#compiled.clear();
      Resolver.#compiled.set(source, compiled);
    }
    return compiled;
  }

  /** Where a raw value for `attribute` comes from, without evaluating it. */
  #lookup(node: NodeRecord, attribute: string): { raw: string; from?: string } | undefined {
    const own = node.attributes[attribute];
    if (own !== undefined) return { raw: own };
    for (const groupName of node.groups) {
      const raw = this.#reader.group(groupName)?.attributes[attribute];
      if (raw !== undefined) return { raw, from: groupName };
    }
    const raw = this.#reader.group(EVERYTHING)?.attributes[attribute];
    if (raw !== undefined) return { raw, from: EVERYTHING };
    return undefined;
  }

  /** Names of every attribute set on the node or inherited by it, sorted. */
  attributeNames(node: NodeRecord): string[] {
    const names = new Set(Object.keys(node.attributes));
    for (const groupName of [...node.groups, EVERYTHING]) {
      const group = this.#reader.group(groupName);
      if (group) for (const name of Object.keys(group.attributes)) names.add(name);
    }
    return [...names].sort();
  }

  /**
   * Evaluated value or a thrown BerthError (BERTH_EXPRESSION_EVAL) when an
   * expression cannot be evaluated for this node, e.g. a reference cycle.
   */
  value(node: NodeRecord, attribute: string, stack: string[] = []): string | undefined {
    const found = this.#lookup(node, attribute);
    if (found === undefined) return undefined;
    if (!isExpression(found.raw)) return found.raw;
    if (stack.includes(attribute)) {
      throw new BerthError(
        'BERTH_EXPRESSION_EVAL',
        `${node.name}: attribute references form a cycle: ${[...stack, attribute].join(' → ')}`,
        { node: node.name, attribute },
      );
    }
    const inner = [...stack, attribute];
    return Resolver.compile(found.raw).evaluate({
      node: node.name,
      attribute: (name) => this.value(node, name, inner),
    });
  }

  resolve(node: NodeRecord, attribute: string): ResolvedAttribute | undefined {
    const found = this.#lookup(node, attribute);
    if (found === undefined) return undefined;
    const out: ResolvedAttribute = {};
    if (found.from !== undefined) out.inheritedFrom = found.from;
    if (isExpression(found.raw)) {
      out.expression = found.raw;
      try {
        out.value = this.value(node, attribute);
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        out.error = e.message;
      }
    } else {
      out.value = found.raw;
    }
    return out;
  }

  resolveAll(node: NodeRecord, only?: (name: string) => boolean): Record<string, ResolvedAttribute> {
    const out: Record<string, ResolvedAttribute> = {};
    for (const name of this.attributeNames(node)) {
      if (only && !only(name)) continue;
      const resolved = this.resolve(node, name);
      if (resolved) out[name] = resolved;
    }
    return out;
  }
}
