/**
 * The errors a noderange raises. Every one carries the full text and the
 * 1-based column of the offending character, so the CLI can draw a caret
 * under it (errors.ts caretLine).
 */
import { BerthError } from '../../errors.ts';

/** The text does not follow the grammar. */
export function syntaxError(message: string, column: number, input: string): BerthError {
  return new BerthError('BERTH_NODERANGE_SYNTAX', message, { column, input });
}

/** The text parses, but asks for something berth refuses or cannot do. */
export function badInput(message: string, column: number, input: string): BerthError {
  return new BerthError('BERTH_BAD_INPUT', message, { column, input });
}

/** A name in the text is neither a node nor a group. */
export function notFound(message: string, column: number, input: string): BerthError {
  return new BerthError('BERTH_NOT_FOUND', message, { column, input });
}
