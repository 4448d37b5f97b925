/**
 * Bounds that keep a typo from taking the server down: `n[1-10000000000]` is
 * refused before a single name is generated instead of exhausting memory.
 * Ten million names is well past the largest real fleet (and costs about a
 * gigabyte of strings), so nothing legitimate hits it.
 */
export const MAX_GENERATED_NAMES = 10_000_000;

/** Deeper nesting than this is not written by people; refusing it keeps recursion bounded. */
export const MAX_PARENTHESIS_DEPTH = 100;

/** Range bounds must stay exact in a JavaScript number. */
export const MAX_RANGE_DIGITS = 15;
