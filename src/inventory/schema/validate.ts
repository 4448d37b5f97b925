import { BerthError } from '../../errors.ts';
import { requireAttribute } from './lookup.ts';
import type { AttributeSpec, AttributeType } from './spec.ts';
import { ValueRejected } from './validators/rejection.ts';
import { typeRules } from './validators/index.ts';

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
