/** The noderange grammar: select sets of nodes by name, group, range, regex and attribute. */
export type { NoderangeContext } from './context.ts';
export type { ParsedNoderange } from './ast.ts';
export { parseNoderange } from './parse.ts';
export { expandNoderange, expandParsedNoderange } from './expand.ts';
export { compressNodes } from './compress.ts';
export type { CompressOptions } from './compress.ts';
export { naturalCompare, naturalKey, naturalSort } from './natural-sort.ts';
export { MAX_GENERATED_NAMES } from './limits.ts';
export { globToRegExp } from './attribute-filter.ts';
