/**
 * Ranges written between two names: `n1-n20`, `n1:n20`, `n1..n20`,
 * `r1u01-r3u10`, `rack1-rack10`, `r1-bmc-r3-bmc`, and the count form `n1+3`
 * (n1 through n4).
 *
 * As in confluent's expandrange, the text is cut at the middle separator,
 * both sides are split into runs of digits and of other characters, and the
 * runs are lined up: equal runs are kept, differing numbers become sequences,
 * and the result is the cartesian product (r1u01-r3u10 is r[1-3]u[01-10], 30
 * names). Zero padding comes from the start (`n01-n20`). When the sides do not
 * line up (`r1-bmc`: "r1" vs "bmc"), it is not a range at all, and the caller
 * decides whether that is a literal name or an unknown one.
 *
 * Separators are tried in confluent's order: `:`, then `..`, then `-`, then
 * `+`, so `r1-bmc:r3-bmc` splits at the colon.
 */
import { padNumber } from './brackets.ts';
import { MAX_RANGE_DIGITS } from './limits.ts';
import { syntaxError } from './noderange-errors.ts';

interface Sequence {
  start: number;
  end: number;
  width: number;
}

export interface NameRange {
  /** How many names the range yields, known before generating any. */
  count: number;
  names(): string[];
}

export interface Position {
  column: number;
  input: string;
}

const DIGIT_RUNS = /[0-9]+|[^0-9]+/g;
const DIGITS = /^[0-9]+$/;

/**
 * The range `text` denotes, or undefined when it uses no range syntax or its
 * sides do not line up. Throws when it is a range but a wrong one.
 */
export function parseNameRange(text: string, position: Position): NameRange | undefined {
  const delimiter = text.includes(':') ? ':' : text.includes('..') ? '..' : text.includes('-') ? '-' : undefined;
  if (delimiter !== undefined) {
    const pieces = text.split(delimiter);
    if (pieces.length % 2 !== 0) return undefined;
    const half = pieces.length / 2;
    return lineUp(pieces.slice(0, half).join(delimiter), pieces.slice(half).join(delimiter), position);
  }
  if (text.includes('+')) return countRange(text, position);
  return undefined;
}

function lineUp(left: string, right: string, position: Position): NameRange | undefined {
  const leftRuns = left.match(DIGIT_RUNS) ?? [];
  const rightRuns = right.match(DIGIT_RUNS) ?? [];
  if (leftRuns.length === 0 || leftRuns.length !== rightRuns.length) return undefined;
  const parts: (string | Sequence)[] = [];
  for (let i = 0; i < leftRuns.length; i++) {
    const a = leftRuns[i]!;
    const b = rightRuns[i]!;
    if (a === b) {
      parts.push(a);
      continue;
    }
    if (!DIGITS.test(a) || !DIGITS.test(b)) return undefined;
    const start = toNumber(a, position);
    const end = toNumber(b, position);
    // Same number padded differently (n1-n01): confluent does not take it as a range.
    if (start === end) return undefined;
    if (start > end) throw syntaxError(`range start ${left} is greater than end ${right}`, position.column, position.input);
    parts.push({ start, end, width: a.length });
  }
  return product(parts);
}

/** `n1+3`: the last number before any domain part counts on by 3. */
function countRange(text: string, position: Position): NameRange | undefined {
  const pieces = text.split('+');
  if (pieces.length !== 2 || !DIGITS.test(pieces[1]!)) return undefined;
  const base = pieces[0]!;
  const dot = base.indexOf('.');
  const host = dot < 0 ? base : base.slice(0, dot);
  const domain = dot < 0 ? '' : base.slice(dot);
  const match = /([0-9]+)([^0-9]*)$/.exec(host);
  if (!match) return undefined;
  const start = toNumber(match[1]!, position);
  const end = start + toNumber(pieces[1]!, position);
  return product([host.slice(0, match.index), { start, end, width: match[1]!.length }, match[2]! + domain]);
}

function toNumber(digits: string, position: Position): number {
  if (digits.replace(/^0+(?=.)/, '').length > MAX_RANGE_DIGITS) {
    throw syntaxError(`number ${digits} is too large for a range`, position.column, position.input);
  }
  return Number(digits);
}

function product(parts: (string | Sequence)[]): NameRange {
  let count = 1;
  for (const part of parts) if (typeof part !== 'string') count *= part.end - part.start + 1;
  return {
    count,
    names() {
      let names = [''];
      for (const part of parts) {
        if (typeof part === 'string') {
          names = names.map((name) => name + part);
          continue;
        }
        const next: string[] = [];
        for (const name of names) {
          for (let n = part.start; n <= part.end; n++) next.push(name + padNumber(n, part.width));
        }
        names = next;
      }
      return names;
    },
  };
}
