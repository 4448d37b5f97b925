export type { AttributeSpec, AttributeType } from './spec.ts';
export { attributeSchema } from './attributes.ts';
export { findAttribute, isSecretAttribute, requireAttribute } from './lookup.ts';
export { describeType, MAX_VALUE_BYTES, validateAttributeValue, valueSizeProblem } from './validate.ts';
