/**
 * The inside of a bracket in a name: `n[1-20]`, `n[01-20]`, `n[1:20:2]`,
 * `r3u[4:6,9]`, `n[1+3]`, `n[a,b]`.
 *
 * As in confluent, a bracket holds a comma-separated list of items; each item
 * is a number sequence `start<sep>end[<sep>step]` with `-`, `:` or `..` as
 * separator, a count `start+n` (start through start+n), or a literal word
 * (`[09]` is "09", `[a,b]` gives "a" then "b"). Zero padding follows the
 * start as written: `[01-20]` pads to two digits, `[1-20]` does not, and
 * `[7-8,09-20]` pads each item on its own.
 */
import { MAX_RANGE_DIGITS } from './limits.ts';
import { syntaxError } from './noderange-errors.ts';

export type BracketItem =
  | { kind: 'literal'; text: string }
  | { kind: 'sequence'; start: number; end: number; step: number; width: number };

export interface Bracket {
  /** Column of the `[` in the noderange. */
  column: number;
  /** The bracket as written, `[1-20]`. */
  text: string;
  items: BracketItem[];
  /** How many values the bracket yields. */
  count: number;
}

const ITEM_CHARACTER = /[A-Za-z0-9_.:+-]/;
const SEPARATOR = /:|-|\.\./g;
const DIGITS = /^[0-9]+$/;
const WORD = /^[A-Za-z0-9_.]+$/;

/**
 * Parses `content` (what stands between `[` and `]`); `column` is that of the
 * `[` and `input` the whole noderange, for error positions.
 */
export function parseBracket(content: string, column: number, input: string): Bracket {
  const text = `[${content}]`;
  if (content.trim() === '') throw syntaxError(`empty brackets ${text}`, column, input);
  const items: BracketItem[] = [];
  let count = 0;
  let offset = 0;
  for (const itemText of content.split(',')) {
    const itemColumn = column + 1 + offset;
    const item = parseItem(itemText, itemColumn, text, input);
    items.push(item);
    count += itemCount(item);
    offset += itemText.length + 1;
  }
  return { column, text, items, count };
}

function parseItem(item: string, column: number, bracket: string, input: string): BracketItem {
  if (item === '') throw syntaxError(`bracket ${bracket} has an empty item`, column, input);
  for (let i = 0; i < item.length; i++) {
    if (!ITEM_CHARACTER.test(item[i]!)) {
      throw syntaxError(`unexpected character '${item[i]}' in bracket ${bracket}`, column + i, input);
    }
  }
  const pieces = splitPieces(item);
  if (pieces.length > 1) return parseSequence(item, pieces, column, bracket, input);
  const plus = item.indexOf('+');
  if (plus >= 0) return parseCount(item, plus, column, bracket, input);
  if (!WORD.test(item)) throw syntaxError(`bracket ${bracket} has an unusable item '${item}'`, column, input);
  return { kind: 'literal', text: item };
}

interface Piece {
  text: string;
  offset: number;
}

/** Splits `1-20:2` into its numbers, remembering where each one starts. */
function splitPieces(item: string): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  for (const match of item.matchAll(SEPARATOR)) {
    pieces.push({ text: item.slice(start, match.index), offset: start });
    start = match.index + match[0].length;
  }
  pieces.push({ text: item.slice(start), offset: start });
  return pieces;
}

function parseSequence(item: string, pieces: Piece[], column: number, bracket: string, input: string): BracketItem {
  if (pieces.length > 3) {
    // Point at the separator that starts the fourth number.
    const extra = pieces[3]!;
    throw syntaxError(`bracket item '${item}' has more than start, end and step`, column + extra.offset - 1, input);
  }
  for (const piece of pieces) {
    // An empty piece sits right where the missing number should be: at the
    // separator for a missing start, at the ']' or ',' for a missing end.
    if (piece.text === '') throw syntaxError(`bracket ${bracket} is incomplete`, column + piece.offset, input);
    checkNumber(piece, item, column, bracket, input);
  }
  const [startPiece, endPiece, stepPiece] = pieces as [Piece, Piece, Piece | undefined];
  const start = Number(startPiece.text);
  const end = Number(endPiece.text);
  const step = stepPiece === undefined ? 1 : Number(stepPiece.text);
  if (start > end) {
    throw syntaxError(`range start ${startPiece.text} is greater than end ${endPiece.text}`, column, input);
  }
  if (stepPiece !== undefined && step < 1) {
    throw syntaxError(`range step in ${bracket} must be 1 or more`, column + stepPiece.offset, input);
  }
  return { kind: 'sequence', start, end, step, width: startPiece.text.length };
}

function parseCount(item: string, plus: number, column: number, bracket: string, input: string): BracketItem {
  const pieces: Piece[] = [
    { text: item.slice(0, plus), offset: 0 },
    { text: item.slice(plus + 1), offset: plus + 1 },
  ];
  for (const piece of pieces) {
    if (piece.text === '') throw syntaxError(`bracket ${bracket} is incomplete`, column + piece.offset, input);
    checkNumber(piece, item, column, bracket, input);
  }
  const start = Number(pieces[0]!.text);
  return { kind: 'sequence', start, end: start + Number(pieces[1]!.text), step: 1, width: pieces[0]!.text.length };
}

function checkNumber(piece: Piece, item: string, column: number, bracket: string, input: string): void {
  if (!DIGITS.test(piece.text)) {
    throw syntaxError(`bracket ${bracket}: '${item}' must be made of numbers`, column + piece.offset, input);
  }
  if (piece.text.replace(/^0+(?=.)/, '').length > MAX_RANGE_DIGITS) {
    throw syntaxError(`number ${piece.text} is too large for a range`, column + piece.offset, input);
  }
}

function itemCount(item: BracketItem): number {
  return item.kind === 'literal' ? 1 : Math.floor((item.end - item.start) / item.step) + 1;
}

/** Zero-pads `value` to `width` digits, the way the range was written. */
export function padNumber(value: number, width: number): string {
  const digits = String(value);
  return digits.length >= width ? digits : digits.padStart(width, '0');
}

/**
 * Calls `visit` with every name the segments spell (`r[1-2]u[1-2]`: r1u1,
 * r1u2, r2u1, r2u2), left bracket outermost, without building intermediate
 * lists. Callers check the product of the brackets' `count` first.
 */
export function forEachBracketName(segments: readonly (string | Bracket)[], visit: (name: string) => void): void {
  const walk = (index: number, prefix: string): void => {
    let i = index;
    let text = prefix;
    while (i < segments.length && typeof segments[i] === 'string') text += segments[i++] as string;
    if (i === segments.length) {
      visit(text);
      return;
    }
    const bracket = segments[i] as Bracket;
    for (const item of bracket.items) {
      if (item.kind === 'literal') walk(i + 1, text + item.text);
      else for (let n = item.start; n <= item.end; n += item.step) walk(i + 1, text + padNumber(n, item.width));
    }
  };
  walk(0, '');
}
