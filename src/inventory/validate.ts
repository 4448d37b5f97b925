/**
 * Checks that run before any change is written: each assignment on its own
 * (known attribute, well-typed value or well-formed expression), then every
 * affected node as a whole (expressions evaluate to well-typed values, no two
 * nodes claim one MAC address, SMBIOS UUID, IPv4 address or host name:
 * uniqueness.ts).
 */
import { BerthError } from '../errors.ts';
import type { ErrorLocation } from '../errors.ts';
import { isExpression } from './expressions/index.ts';
import type { InventoryReader } from './model.ts';
import { Resolver } from './resolver.ts';
import { checkUnique, isUniqueAttribute } from './uniqueness.ts';
import { requireSettableAttribute, validateAttributeValue, valueSizeProblem } from './schema/index.ts';

/**
 * Most nodes one change may define, modify, rename or remove. A change is
 * validated and committed in one synchronous store transaction, on the
 * thread that also answers DHCP, TFTP and boot HTTP, so its size is how long
 * boot traffic waits: on the 2-core test machine a 1,000,000-node define
 * held boot HTTP for 48 s and a 100,000-node one for 3 s. 100,000 is the
 * largest fleet berth is built for; a bigger change is refused, to be split.
 */
export const MAX_NODES_PER_CHANGE = 100_000;

/** Refuses a change of more than MAX_NODES_PER_CHANGE nodes; `verb` says what it does ('defines'). */
export function checkChangeSize(count: number, verb: string): void {
  if (count <= MAX_NODES_PER_CHANGE) return;
  const limit = MAX_NODES_PER_CHANGE.toLocaleString('en-US');
  throw new BerthError(
    'BERTH_BAD_INPUT',
    `this change ${verb} ${count.toLocaleString('en-US')} nodes; one change may touch at most ${limit}, ` +
      `so split it (e.g. n[1-${MAX_NODES_PER_CHANGE}] first, then n[${MAX_NODES_PER_CHANGE + 1}-${2 * MAX_NODES_PER_CHANGE}])`,
  );
}

/** Returns the value to store: normalized if literal, the expression text if an expression. */
export function checkAssignment(attribute: string, raw: string, where: ErrorLocation): string {
  // First, and for expressions too: nothing larger is parsed, compiled or copied.
  const tooLarge = valueSizeProblem(raw);
  if (tooLarge) {
    const owner = where.node !== undefined ? ` of node ${where.node}` : where.group !== undefined ? ` of group ${where.group}` : '';
    throw new BerthError('BERTH_ATTRIBUTE_TYPE', `${attribute}${owner}: ${tooLarge}`, { ...where, attribute });
  }
  try {
    const spec = requireSettableAttribute(attribute);
    if (isExpression(raw)) {
      if (spec.hardwareIdentity) {
        throw new BerthError(
          'BERTH_BAD_INPUT',
          `${attribute} names the machine itself and cannot be an expression ('${excerpt(raw)}'): ` +
            'the value would be derived anew when the node is renamed or regrouped, and a physical address does not change with a name; ' +
            'set the literal value on each node (berth node define --csv takes one per line)',
        );
      }
      Resolver.compile(raw);
      return raw;
    }
    return validateAttributeValue(attribute, raw);
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    throw new BerthError(e.code, e.message.startsWith(attribute) ? e.message : `${attribute}: ${e.message}`, { ...where, ...e.where, attribute });
  }
}

/**
 * Evaluates every expression-valued attribute of the given nodes in the draft
 * and validates the results; pushes problems instead of throwing so the
 * caller can report many at once.
 */
export function checkResolvedNodes(draft: InventoryReader, names: readonly string[], problems: BerthError[]): void {
  const resolver = new Resolver(draft);
  let uniqueSeen = false;
  for (const name of names) {
    const node = draft.node(name);
    if (!node) continue;
    for (const attribute of resolver.attributeNames(node)) {
      if (!uniqueSeen && isUniqueAttribute(attribute)) uniqueSeen = true;
      const resolved = resolver.resolve(node, attribute);
      if (!resolved || resolved.expression === undefined) continue;
      if (resolved.error !== undefined) {
        problems.push(new BerthError('BERTH_EXPRESSION_EVAL', resolved.error, { node: name, attribute }));
        continue;
      }
      try {
        validateAttributeValue(attribute, resolved.value!);
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        problems.push(
          new BerthError(e.code, `${name}: ${attribute} = ${resolved.expression} evaluates to '${excerpt(resolved.value!)}': ${e.message}`, {
            node: name,
            attribute,
          }),
        );
      }
      if (problems.length > 100) return;
    }
  }
  if (uniqueSeen) checkUnique(draft, resolver, names, problems);
}

/** A value as quoted in a message: a 64 KiB result is not worth repeating whole. */
function excerpt(value: string): string {
  return value.length <= 200 ? value : `${value.slice(0, 200)}… (${value.length} characters)`;
}
