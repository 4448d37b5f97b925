/**
 * Bounds that keep a typo from taking the server down: `n[1-10000000000]` is
 * refused before a single name is generated instead of exhausting memory.
 * A million names is ten times the largest fleet berth is built for and
 * expands in about a third of a second; ten million took seconds and ~800 MB
 * of strings on the API's thread, long enough to stall every other request.
 */
export const MAX_GENERATED_NAMES = 1_000_000;

/** Deeper nesting than this is not written by people; refusing it keeps recursion bounded. */
export const MAX_PARENTHESIS_DEPTH = 100;

/** Range bounds must stay exact in a JavaScript number. */
export const MAX_RANGE_DIGITS = 15;
