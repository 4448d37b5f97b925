/**
 * Many problems as one error: checks that look at a whole request (a
 * definition of 500 nodes, an inventory document, a CSV file) report every
 * problem they find, the first as the error and the next ones in `more`, up
 * to a cap, with the count of the rest, so a terminal shows a screenful, not
 * 100,000 lines.
 */
import { BerthError } from '../errors.ts';

/** Problems shown in one error; the rest are counted. */
export const SHOWN_PROBLEMS = 20;

export function throwIfAny(problems: readonly BerthError[]): void {
  if (problems.length === 0) return;
  const [first, ...rest] = problems;
  const shown = rest.slice(0, SHOWN_PROBLEMS - 1);
  if (rest.length > shown.length) shown.push(new BerthError(first!.code, `… and ${rest.length - shown.length} more problem(s)`));
  throw new BerthError(first!.code, first!.message, first!.where, shown);
}
