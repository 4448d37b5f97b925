/**
 * Filters: how a value is written into a particular syntax. Answer files mix
 * several (XML, JSON inside YAML, POSIX sh inside Kickstart), and each value
 * that could carry a character meaningful there goes through the filter for
 * the place it lands in.
 */

export type FilterValue = unknown;

export interface Filter {
  /** How many quoted arguments it takes. */
  args: number;
  /** One line for error messages and the README. */
  describe: string;
  apply(value: FilterValue, args: string[]): FilterValue;
}

/** Thrown by a filter for a value it cannot write; the renderer adds the template position. */
export class FilterRefused extends Error {}

function scalar(value: FilterValue, filter: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) throw new FilterRefused(`${filter} takes one value, and this is a list: use {{#each}} or | join(" ") first`);
  throw new FilterRefused(`${filter} takes one value, and this is a group of fields (${Object.keys(value as object).join(', ')}): pick one, such as .${Object.keys(value as object)[0] ?? 'field'}`);
}

/** XML character data and attribute values (either quote). */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * JSON text that is also a YAML 1.1/1.2 flow scalar: besides what
 * JSON.stringify escapes, the characters YAML does not allow raw or reads as
 * line breaks (DEL, C1 controls, U+2028/2029, the BOM) are written as \u escapes.
 */
export function jsonLiteral(value: FilterValue): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new FilterRefused('json has nothing to write: the value is undefined');
  return json.replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One POSIX sh word, single-quoted: nothing in it is expanded. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export const FILTERS: Record<string, Filter> = {
  xml: {
    args: 0,
    describe: 'escapes & < > " \' for XML text and attribute values',
    apply: (value) => xmlEscape(scalar(value, 'xml')),
  },
  json: {
    args: 0,
    describe: 'a JSON literal (a string in double quotes, a list as an array); also a valid YAML scalar',
    apply: (value) => jsonLiteral(value),
  },
  shell: {
    args: 0,
    describe: "a single-quoted POSIX sh word; a list becomes one quoted word per item, separated by spaces",
    apply: (value) => (Array.isArray(value) ? value.map((v) => shellQuote(scalar(v, 'shell'))).join(' ') : shellQuote(scalar(value, 'shell'))),
  },
  join: {
    args: 1,
    describe: 'the items of a list joined by the argument: join(",")',
    apply: (value, [separator]) => (Array.isArray(value) ? value.map((v) => scalar(v, 'join')).join(separator) : scalar(value, 'join')),
  },
};

export const FILTER_NAMES: ReadonlySet<string> = new Set(Object.keys(FILTERS));
