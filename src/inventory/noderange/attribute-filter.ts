/**
 * Attribute filters in a noderange: `location.rack=7`, `net.*switch=switch1`,
 * `console.logging!=full`, `id.model=~^7X`, `location.row!~^1`.
 *
 * Semantics follow confluent's filter_node_attributes:
 *  - `=` and `==` are string equality, `!=` its negation;
 *  - `=~` is a regular expression search anywhere in the value (Python's
 *    re.search, here JavaScript RegExp#test without anchors, on the
 *    linear-time engine: linear-regexp.ts), `!~` its negation;
 *  - an attribute that is not set counts as the empty string, so
 *    `location.rack=` selects nodes with no rack;
 *  - the name may be a shell-style wildcard (`*`, `?`) matching several
 *    attributes; the node is selected when any of them matches.
 * One deliberate difference: confluent also tests '' for every wildcard, so
 * `net.*switch!=sw1` selected every node whatever its switches. Here `!=` and
 * `!~` are exactly "not selected by `=` / `=~`", and '' stands in only when
 * no attribute matches the wildcard.
 *
 * Secrets never take part: a filter naming crypted.* is refused (its result
 * would leak whether a hash equals a guess), and wildcards skip those keys.
 */
import { compileLinearRegExp } from './linear-regexp.ts';
import { badInput, syntaxError } from './noderange-errors.ts';

export type FilterOperator = '=' | '==' | '!=' | '=~' | '!~';

export interface AttributeFilter {
  attribute: string;
  operator: FilterOperator;
  value: string;
  /** Whether a node with these resolved attributes is selected. */
  matches(attributes: ReadonlyMap<string, string>): boolean;
}

/** Where each part of the filter sits in the noderange, for error carets. */
export interface FilterPosition {
  input: string;
  attributeColumn: number;
  operatorColumn: number;
  valueColumn: number;
}

const SECRET_PREFIX = 'crypted.';
const ATTRIBUTE_CHARACTER = /[A-Za-z0-9_.*?-]/;

export function compileAttributeFilter(
  attribute: string,
  operator: FilterOperator,
  rawValue: string,
  position: FilterPosition,
): AttributeFilter {
  const { input } = position;
  if (attribute === '') {
    throw syntaxError(`attribute name missing before '${operator}'`, position.operatorColumn, input);
  }
  for (let i = 0; i < attribute.length; i++) {
    if (!ATTRIBUTE_CHARACTER.test(attribute[i]!)) {
      throw syntaxError(
        `invalid attribute name '${attribute}': '${attribute[i]}' is not allowed`,
        position.attributeColumn + i,
        input,
      );
    }
  }
  if (namesSecrets(attribute)) {
    const error = badInput('crypted.* attributes cannot be used in a noderange filter', position.attributeColumn, input);
    error.where.attribute = attribute;
    throw error;
  }

  const negated = operator === '!=' || operator === '!~';
  let test: (value: string) => boolean;
  let value = rawValue;
  if (operator === '=~' || operator === '!~') {
    const pattern = compileLinearRegExp(rawValue, position.valueColumn, input);
    test = (candidate) => pattern.test(candidate);
  } else {
    // A backslash lets a value hold a character the grammar would otherwise
    // take for an operator (`room=a\,b`); for regexes it is left to RegExp.
    value = rawValue.replace(/\\(.)/g, '$1');
    test = (candidate) => candidate === value;
  }

  const values = valueReader(attribute);
  return {
    attribute,
    operator,
    value,
    matches(attributes) {
      const selected = values(attributes).some(test);
      return negated ? !selected : selected;
    },
  };
}

/**
 * True when the pattern names the crypted.* family itself (`crypted.password`,
 * `crypt*.x`, `c?ypted.*`). The catch-all `*` (and `*.password`) is allowed:
 * it means "any attribute", and simply never sees secret keys.
 */
function namesSecrets(attribute: string): boolean {
  const family = attribute.split('.')[0]!;
  return family !== '*' && globToRegExp(family).test(SECRET_PREFIX.slice(0, -1));
}

function valueReader(attribute: string): (attributes: ReadonlyMap<string, string>) => string[] {
  if (!/[*?]/.test(attribute)) return (attributes) => [attributes.get(attribute) ?? ''];
  const pattern = globToRegExp(attribute);
  return (attributes) => {
    const values: string[] = [];
    for (const [name, value] of attributes) {
      if (!name.startsWith(SECRET_PREFIX) && pattern.test(name)) values.push(value);
    }
    return values.length > 0 ? values : [''];
  };
}

/**
 * fnmatch-style: `*` any run of characters (dots included), `?` one character.
 * On the linear-time engine (linear-regexp.ts): `^.*a.*a…$` backtracks
 * polynomially, with the number of `*` as the exponent.
 */
export function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\*?-]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${source}$`, 'l');
}
