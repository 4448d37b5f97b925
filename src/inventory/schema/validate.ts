import { BerthError } from '../../errors.ts';
import { requireAttribute } from './lookup.ts';
import type { AttributeSpec, AttributeType } from './spec.ts';
import { ValueRejected } from './validators/rejection.ts';
import { typeRules } from './validators/index.ts';

/**
 * The largest value any attribute takes, in UTF-8 bytes. Every node's
 * attributes are held in memory, resolved on every boot request and matched
 * by noderange regexes; 64 KiB is far above any real value (the longest,
 * ssh.admin_keys, fits some ninety RSA-4096 keys) and stops a 10 MB value
 * from being copied into each of them.
 */
export const MAX_VALUE_BYTES = 64 * 1024;

/** The size problem of `value`, worded for an error, or undefined when it fits. */
export function valueSizeProblem(value: string): string | undefined {
  // Only a value long enough to possibly be over pays for counting bytes (a UTF-16 unit is at most 3 bytes).
  if (value.length * 3 <= MAX_VALUE_BYTES) return undefined;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= MAX_VALUE_BYTES) return undefined;
  return `the value is ${bytes.toLocaleString('en-US')} bytes; an attribute value is limited to ${MAX_VALUE_BYTES.toLocaleString('en-US')} bytes (64 KiB)`;
}

/**
 * Checks a literal value for attribute `name` and returns the form to store
 * (MACs lowercase with colons, booleans as true/false...).
 *
 * The empty string is always rejected: berth has no "set to empty", an
 * attribute is either set to something or unset. Expressions ('{node}-bmc')
 * are not values; evaluate them per node and validate the result.
 */
export function validateAttributeValue(name: string, value: string): string {
  const spec = requireAttribute(name);
  if (value === '') {
    throw new BerthError('BERTH_ATTRIBUTE_TYPE', `${name}: the value is empty; to clear an attribute, unset it`, { attribute: name });
  }
  const tooLarge = valueSizeProblem(value);
  if (tooLarge) throw new BerthError('BERTH_ATTRIBUTE_TYPE', `${name}: ${tooLarge}`, { attribute: name });
  try {
    return typeRules[spec.type].normalize(value, spec);
  } catch (e) {
    if (e instanceof ValueRejected) throw new BerthError('BERTH_ATTRIBUTE_TYPE', `${name}: ${e.message}`, { attribute: name });
    throw e;
  }
}

/** What values of a type look like, in words, for `berth attributes` and help texts. */
export function describeType(type: AttributeType, spec?: Pick<AttributeSpec, 'values' | 'min' | 'max'>): string {
  return typeRules[type].describe(spec);
}
