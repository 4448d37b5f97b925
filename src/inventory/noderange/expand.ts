/**
 * Turns a noderange into the names it selects.
 *
 * With an inventory (`context`), every name must exist: an existing node or
 * group name is always taken as itself first (so `r1-bmc` is a node, not a
 * range), a group stands for its members, and a range or bracket that reaches
 * a name that is neither is an error naming it, as in confluent.
 *
 * Without one (`node define n[1-4]` naming new nodes), names and ranges
 * expand literally, and whatever needs to know the inventory (regex,
 * attribute filters, `@`, pagination alone) is refused with a message saying
 * so, rather than quietly matching nothing.
 *
 * Operators apply left to right without precedence: `a,b@c` is (a ∪ b) ∩ c.
 * Pagination (`<skip`, `>take`) applies last, to the natural-sorted result.
 */
import type { Expression, NameAtom, Operand, ParsedNoderange } from './ast.ts';
import { forEachBracketName } from './brackets.ts';
import type { NoderangeContext } from './context.ts';
import { MAX_GENERATED_NAMES } from './limits.ts';
import { parseNameRange } from './name-range.ts';
import { naturalSort } from './natural-sort.ts';
import { badInput, notFound } from './noderange-errors.ts';
import { parseNoderange } from './parse.ts';

/** Unique names selected by `text`, in natural order. */
export function expandNoderange(text: string, context?: NoderangeContext): string[] {
  return expandParsedNoderange(parseNoderange(text), context);
}

/** As expandNoderange, for a noderange already parsed (to report syntax errors early). */
export function expandParsedNoderange(parsed: ParsedNoderange, context?: NoderangeContext): string[] {
  let selected: Iterable<string>;
  if (parsed.expression) {
    selected = new Evaluator(parsed.input, context).expression(parsed.expression);
  } else if (context) {
    selected = context.nodeNames();
  } else {
    throw badInput(
      `'${parsed.input.trim()}' pages through every node and needs the node inventory`,
      parsed.input.length - parsed.input.trimStart().length + 1,
      parsed.input,
    );
  }
  let names = naturalSort(selected);
  if (parsed.skip !== undefined) names = names.slice(parsed.skip);
  if (parsed.take !== undefined) names = names.slice(0, parsed.take);
  return names;
}

class Evaluator {
  private readonly input: string;
  private readonly context: NoderangeContext | undefined;
  /** Names produced by ranges and brackets so far, against MAX_GENERATED_NAMES. */
  private generated = 0;

  constructor(input: string, context: NoderangeContext | undefined) {
    this.input = input;
    this.context = context;
  }

  expression(expression: Expression): Set<string> {
    let current = this.operand(expression.first, undefined);
    for (const { operator, column, operand } of expression.rest) {
      if (operator === 'union') {
        for (const name of this.operand(operand, undefined)) current.add(name);
      } else if (operator === 'exclude') {
        for (const name of this.operand(operand, current)) current.delete(name);
      } else {
        if (!this.context) {
          throw badInput(
            `'@' (intersection) needs the node inventory; without it every name is a new node name`,
            column,
            this.input,
          );
        }
        const other = this.operand(operand, current);
        const kept = new Set<string>();
        for (const name of current) if (other.has(name)) kept.add(name);
        current = kept;
      }
    }
    return current;
  }

  /**
   * `candidates` limits regexes and filters on the right of `,-` and `@` to
   * the names that can still be affected, as confluent does; the result of
   * the operation is the same either way, only faster.
   */
  private operand(operand: Operand, candidates: ReadonlySet<string> | undefined): Set<string> {
    switch (operand.kind) {
      case 'parenthesized':
        return this.expression(operand.body);
      case 'name':
        return this.name(operand);
      case 'regex': {
        const context = this.requireContext(operand.column, `regular expression '${operand.text}'`);
        const selected = new Set<string>();
        for (const name of candidates ?? context.nodeNames()) if (operand.pattern.test(name)) selected.add(name);
        return selected;
      }
      case 'filter': {
        const context = this.requireContext(operand.column, `attribute filter '${operand.text}'`);
        const selected = new Set<string>();
        for (const name of candidates ?? context.nodeNames()) {
          if (operand.filter.matches(context.attributes(name))) selected.add(name);
        }
        return selected;
      }
    }
  }

  private name(atom: NameAtom): Set<string> {
    const selected = new Set<string>();
    if (atom.segments.every((segment) => typeof segment === 'string')) {
      this.resolve(atom.text, atom, false, selected);
      return selected;
    }
    let count = 1;
    for (const segment of atom.segments) if (typeof segment !== 'string') count *= segment.count;
    this.charge(count, atom);
    // Each bracket value gives a whole name that is then resolved on its own
    // (confluent's recursion), so `rack[1-3]` can be three groups.
    forEachBracketName(atom.segments, (candidate) => this.resolve(candidate, atom, true, selected));
    return selected;
  }

  private resolve(name: string, atom: NameAtom, generated: boolean, into: Set<string>): void {
    const context = this.context;
    if (context && this.addExisting(name, into)) return;
    const range = parseNameRange(name, { column: atom.column, input: this.input });
    if (range) {
      this.charge(range.count, atom);
      for (const member of range.names()) {
        if (!context) into.add(member);
        else if (!this.addExisting(member, into)) throw this.unknown(member, atom);
      }
      return;
    }
    if (context) throw this.unknown(name, atom, generated);
    into.add(name);
  }

  /** Adds the node, or the members of the group, called `name`; false when there is neither. */
  private addExisting(name: string, into: Set<string>): boolean {
    const context = this.context!;
    if (context.hasNode(name)) {
      into.add(name);
      return true;
    }
    const members = context.groupMembers(name);
    if (members === undefined) return false;
    for (const member of members) into.add(member);
    return true;
  }

  private unknown(name: string, atom: NameAtom, generated = true) {
    const from = generated && name !== atom.text ? ` (from '${atom.text}')` : '';
    return notFound(`unknown node or group '${name}'${from}`, atom.column, this.input);
  }

  private charge(count: number, atom: NameAtom): void {
    this.generated += count;
    if (count > MAX_GENERATED_NAMES || this.generated > MAX_GENERATED_NAMES) {
      throw badInput(
        `'${atom.text}' would produce more than ${MAX_GENERATED_NAMES.toLocaleString('en-US')} names`,
        atom.column,
        this.input,
      );
    }
  }

  private requireContext(column: number, what: string): NoderangeContext {
    if (this.context) return this.context;
    throw badInput(`${what} needs the node inventory; it cannot name new nodes`, column, this.input);
  }
}
