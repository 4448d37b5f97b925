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

/**
 * Longest `~regex` / `=~` pattern accepted. The linear-time engine
 * (linear-regexp.ts) costs pattern size × text size per match; nobody types
 * a selector longer than this, and it keeps the pattern side small.
 */
export const MAX_PATTERN_LENGTH = 256;

/**
 * Wall-clock budget for the regular-expression matching of one noderange.
 * Linear time is still time: a 250-character pattern against 100,000 node
 * names takes seconds even on the linear engine, all of it on the thread
 * that answers DHCP, TFTP and boot HTTP. Past this budget the request is
 * refused, so one noderange stalls boot traffic for about this long at most.
 */
export const MAX_MATCHING_MILLISECONDS = 1000;
