export type { AttributeSpec, AttributeType } from './spec.ts';
export { attributeSchema } from './attributes.ts';
export { findAttribute, isSecretAttribute, requireAttribute, requireAttributePattern, requireSettableAttribute } from './lookup.ts';
export { describeType, MAX_VALUE_BYTES, validateAttributeValue, valueSizeProblem } from './validate.ts';
