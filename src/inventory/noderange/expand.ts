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
 * Regex matching has a time budget (limits.ts MAX_MATCHING_MILLISECONDS):
 * it runs on the thread that answers boot traffic.
 *
 * Operators apply left to right without precedence: `a,b@c` is (a ∪ b) ∩ c.
 * Pagination (`<skip`, `>take`) applies last, to the natural-sorted result.
 */
import { BerthError } from '../../errors.ts';
import type { Expression, FilterAtom, NameAtom, Operand, ParsedNoderange, RegexAtom } from './ast.ts';
import { forEachBracketName } from './brackets.ts';
import type { NoderangeContext } from './context.ts';
import { MAX_GENERATED_NAMES, MAX_MATCHING_MILLISECONDS } from './limits.ts';
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
    const evaluator = new Evaluator(parsed.input, context);
    evaluator.checkSize(parsed.expression);
    evaluator.checkAttributes(parsed.expression);
    selected = evaluator.expression(parsed.expression);
  } else if (context) {
    selected = context.nodeNames();
  } else {
    throw badInput(
      `'${parsed.input.trim()}' pages through every node and needs the node inventory`,
      parsed.input.length - parsed.input.trimStart().length + 1,
      parsed.input,
    );
  }
  let names = withoutRepeats(naturalSort(selected));
  if (parsed.skip !== undefined) names = names.slice(parsed.skip);
  if (parsed.take !== undefined) names = names.slice(0, parsed.take);
  return names;
}

/** Characters without which a name cannot be a range (see name-range.ts). */
const RANGE_CHARACTER = /[:.+-]/;

/** Union results are de-duplicated once they pass this many names. */
const COMPACT_AT = 1_000_000;

/** Drops repeats from a sorted list, in place: equal names are neighbours. */
function withoutRepeats(sorted: string[]): string[] {
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[kept - 1]) sorted[kept++] = sorted[i]!;
  }
  sorted.length = kept;
  return sorted;
}

class Evaluator {
  private readonly input: string;
  private readonly context: NoderangeContext | undefined;
  /** Names produced by ranges and brackets so far, against MAX_GENERATED_NAMES. */
  private generated = 0;
  /** When regex matching must have finished (performance.now()); set by the first regex. */
  private matchingDeadline: number | undefined;

  constructor(input: string, context: NoderangeContext | undefined) {
    this.input = input;
    this.context = context;
  }

  /**
   * Adds up what every bracket and range will produce before producing any,
   * so `a[1-6000000],b[1-6000000]` fails at `b` without first building six
   * million names. (Ranges hidden inside bracket values are still counted as
   * they are met, by `charge`.)
   */
  checkSize(expression: Expression): void {
    let planned = 0;
    const visit = (operand: Operand): void => {
      if (operand.kind === 'parenthesized') {
        visit(operand.body.first);
        for (const { operand: next } of operand.body.rest) visit(next);
        return;
      }
      if (operand.kind !== 'name') return;
      let count = 1;
      for (const segment of operand.segments) if (typeof segment !== 'string') count *= segment.count;
      if (count === 1) {
        try {
          count = parseNameRange(operand.text, { column: operand.column, input: this.input })?.count ?? 1;
        } catch {
          // A malformed range may still be an existing name; evaluation decides.
        }
      }
      planned += count;
      this.refuseOver(count, planned, operand);
    };
    visit(expression.first);
    for (const { operand } of expression.rest) visit(operand);
  }

  /** Every filter's attribute name, asked of the context before any node is matched. */
  checkAttributes(expression: Expression): void {
    const check = this.context?.checkAttribute;
    if (!check) return;
    const visit = (operand: Operand): void => {
      if (operand.kind === 'parenthesized') {
        visit(operand.body.first);
        for (const { operand: next } of operand.body.rest) visit(next);
      } else if (operand.kind === 'filter') {
        try {
          check.call(this.context, operand.filter.attribute);
        } catch (e) {
          if (e instanceof BerthError) Object.assign(e.where, { column: operand.column, input: this.input });
          throw e;
        }
      }
    };
    visit(expression.first);
    for (const { operand } of expression.rest) visit(operand);
  }

  /**
   * The names an expression selects, possibly with repeats: lists are far
   * cheaper than Sets at millions of names (no hashing), so repeats are
   * dropped once, after the final sort. Sets are built only for the right
   * side of `,-` and `@`, usually the small one.
   */
  expression(expression: Expression): string[] {
    let current = this.operand(expression.first, undefined);
    let compactAt = COMPACT_AT;
    for (const { operator, column, operand } of expression.rest) {
      if (operator === 'union') {
        for (const name of this.operand(operand, undefined)) current.push(name);
        if (current.length > compactAt) {
          // `compute,compute,...` must not grow without bound.
          current = [...new Set(current)];
          compactAt = Math.max(compactAt, 2 * current.length);
        }
      } else if (operator === 'exclude') {
        const removed = new Set(this.operand(operand, current));
        if (removed.size > 0) current = current.filter((name) => !removed.has(name));
      } else {
        if (!this.context) {
          throw badInput(
            `'@' (intersection) needs the node inventory; without it every name is a new node name`,
            column,
            this.input,
          );
        }
        const kept = new Set(this.operand(operand, current));
        current = current.filter((name) => kept.has(name));
      }
    }
    return current;
  }

  /**
   * `candidates` limits regexes and filters on the right of `,-` and `@` to
   * the names that can still be affected, as confluent does; the result of
   * the operation is the same either way, only faster.
   */
  private operand(operand: Operand, candidates: readonly string[] | undefined): string[] {
    switch (operand.kind) {
      case 'parenthesized':
        return this.expression(operand.body);
      case 'name':
        return this.name(operand);
      case 'regex': {
        const context = this.requireContext(operand.column, `regular expression '${operand.text}'`);
        return this.matching(operand, candidates ?? context.nodeNames(), (name) => operand.pattern.test(name));
      }
      case 'filter': {
        const context = this.requireContext(operand.column, `attribute filter '${operand.text}'`);
        const select = (name: string) => operand.filter.matches(context.attributes(name));
        const names = candidates ?? context.nodeNames();
        const regex = operand.filter.operator === '=~' || operand.filter.operator === '!~';
        return regex ? this.matching(operand, names, select) : names.filter(select);
      }
    }
  }

  /**
   * `names.filter(select)` for a regex, within MAX_MATCHING_MILLISECONDS
   * shared by every regex of the noderange. Each match is linear-time
   * (linear-regexp.ts), so the budget is overshot by one match at most.
   */
  private matching(operand: RegexAtom | FilterAtom, names: readonly string[], select: (name: string) => boolean): string[] {
    this.matchingDeadline ??= performance.now() + MAX_MATCHING_MILLISECONDS;
    const selected: string[] = [];
    for (let i = 0; i < names.length; i++) {
      if (select(names[i]!)) selected.push(names[i]!);
      if (i % 16 === 15 && performance.now() > this.matchingDeadline) {
        throw badInput(
          `matching '${operand.text}' took longer than ${MAX_MATCHING_MILLISECONDS} ms (${i + 1} of ${names.length} nodes done); ` +
            `simplify the pattern or narrow the nodes first (e.g. 'rack1@${operand.text}')`,
          operand.column,
          this.input,
        );
      }
    }
    return selected;
  }

  private name(atom: NameAtom): string[] {
    const selected: string[] = [];
    if (atom.segments.every((segment) => typeof segment === 'string')) {
      this.resolve(atom.text, atom, false, true, selected);
      return selected;
    }
    let count = 1;
    for (const segment of atom.segments) if (typeof segment !== 'string') count *= segment.count;
    this.charge(count, atom);
    // Each bracket value gives a whole name that is then resolved on its own
    // (confluent's recursion), so `rack[1-3]` can be three groups.
    const mayBeRange = atom.segments.some((segment) =>
      typeof segment === 'string'
        ? RANGE_CHARACTER.test(segment)
        : segment.items.some((item) => item.kind === 'literal' && RANGE_CHARACTER.test(item.text)),
    );
    forEachBracketName(atom.segments, (candidate) => this.resolve(candidate, atom, true, mayBeRange, selected));
    return selected;
  }

  /**
   * `mayBeRange` false says the name holds none of the range separators, so
   * millions of bracket values skip parseNameRange.
   */
  private resolve(name: string, atom: NameAtom, generated: boolean, mayBeRange: boolean, into: string[]): void {
    const context = this.context;
    if (context && this.addExisting(name, into)) return;
    const range = mayBeRange ? parseNameRange(name, { column: atom.column, input: this.input }) : undefined;
    if (range) {
      this.charge(range.count, atom);
      for (const member of range.names()) {
        if (!context) into.push(member);
        else if (!this.addExisting(member, into)) throw this.unknown(member, atom);
      }
      return;
    }
    if (context) throw this.unknown(name, atom, generated);
    into.push(name);
  }

  /** Adds the node, or the members of the group, called `name`; false when there is neither. */
  private addExisting(name: string, into: string[]): boolean {
    const context = this.context!;
    if (context.hasNode(name)) {
      into.push(name);
      return true;
    }
    const members = context.groupMembers(name);
    if (members === undefined) return false;
    for (const member of members) into.push(member);
    return true;
  }

  private unknown(name: string, atom: NameAtom, generated = true) {
    const from = generated && name !== atom.text ? ` (from '${atom.text}')` : '';
    return notFound(`unknown node or group '${name}'${from}`, atom.column, this.input);
  }

  private charge(count: number, atom: NameAtom): void {
    this.generated += count;
    this.refuseOver(count, this.generated, atom);
  }

  private refuseOver(count: number, total: number, atom: NameAtom): void {
    if (total <= MAX_GENERATED_NAMES) return;
    // toLocaleString costs milliseconds (ICU), so only when there is an error to word.
    const limit = MAX_GENERATED_NAMES.toLocaleString('en-US');
    const problem = count > MAX_GENERATED_NAMES ? `would produce more than ${limit} names` : `takes the noderange past ${limit} names`;
    throw badInput(`'${atom.text}' ${problem}`, atom.column, this.input);
  }

  private requireContext(column: number, what: string): NoderangeContext {
    if (this.context) return this.context;
    throw badInput(`${what} needs the node inventory; it cannot name new nodes`, column, this.input);
  }
}
