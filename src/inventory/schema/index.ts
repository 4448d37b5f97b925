export type { AttributeSpec, AttributeType } from './spec.ts';
export { attributeSchema } from './attributes.ts';
export { findAttribute, isSecretAttribute, requireAttribute } from './lookup.ts';
export { describeType, validateAttributeValue } from './validate.ts';
