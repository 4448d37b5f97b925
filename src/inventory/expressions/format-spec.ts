/**
 * The integer and string part of Python's format-spec mini-language
 * (https://docs.python.org/3/library/string.html#formatspec), which confluent
 * expressions inherit from str.format:
 *
 *   [[fill]align][sign][#][0][width][grouping][.precision][type]
 *
 * Float presentation types (e f g %) are not supported: expressions compute
 * whole numbers only. Error texts follow Python's where it has one.
 */

export interface FormatSpec {
  readonly fill: string;
  /** The 0 flag: zero fill, placed after the sign for numbers. */
  readonly zeroPad: boolean;
  /** Undefined: right for numbers (after the sign with the 0 flag), left for strings. */
  readonly align: '<' | '>' | '^' | '=' | undefined;
  readonly sign: '+' | '-' | ' ' | undefined;
  readonly alternate: boolean;
  readonly width: number;
  readonly grouping: ',' | '_' | undefined;
  readonly precision: number | undefined;
  readonly type: string | undefined;
}

/** Thrown with a reason; callers turn it into a syntax or evaluation error. */
export class FormatSpecProblem extends Error {}

const integerTypes = new Set(['b', 'c', 'd', 'o', 'x', 'X', 'n']);
const floatTypes = new Set(['e', 'E', 'f', 'F', 'g', 'G', '%']);

export function isIntegerType(type: string | undefined): boolean {
  return type !== undefined && integerTypes.has(type);
}

export function parseFormatSpec(text: string): FormatSpec {
  let pos = 0;
  let fill = ' ';
  let fillGiven = false;
  let align: FormatSpec['align'];
  const isAlign = (c: string | undefined): c is '<' | '>' | '^' | '=' => c === '<' || c === '>' || c === '^' || c === '=';
  // Characters, not UTF-16 units, so an emoji fill works as in Python.
  const chars = Array.from(text);
  if (chars.length >= 2 && isAlign(chars[1])) {
    fill = chars[0]!;
    fillGiven = true;
    align = chars[1];
    pos = 2;
  } else if (isAlign(chars[0])) {
    align = chars[0];
    pos = 1;
  }
  let sign: FormatSpec['sign'];
  if (chars[pos] === '+' || chars[pos] === '-' || chars[pos] === ' ') sign = chars[pos++] as FormatSpec['sign'];
  if (chars[pos] === 'z') throw new FormatSpecProblem('negative zero coercion (z) is for decimals, not whole numbers or text');
  let alternate = false;
  if (chars[pos] === '#') {
    alternate = true;
    pos++;
  }
  // A leading 0 means "pad with zeros"; for numbers the zeros go after the sign.
  let zeroPad = false;
  if (!fillGiven && chars[pos] === '0') {
    zeroPad = true;
    pos++;
  }
  let widthText = '';
  while (pos < chars.length && chars[pos]! >= '0' && chars[pos]! <= '9') widthText += chars[pos++];
  let grouping: FormatSpec['grouping'];
  if (chars[pos] === ',' || chars[pos] === '_') grouping = chars[pos++] as FormatSpec['grouping'];
  let precision: number | undefined;
  if (chars[pos] === '.') {
    pos++;
    let precisionText = '';
    while (pos < chars.length && chars[pos]! >= '0' && chars[pos]! <= '9') precisionText += chars[pos++];
    if (precisionText === '') throw new FormatSpecProblem('format specifier is missing a precision after "."');
    precision = Number(precisionText);
  }
  let type: string | undefined;
  if (pos < chars.length) type = chars[pos++];
  if (pos < chars.length) throw new FormatSpecProblem(`invalid format specifier '${text}'`);
  if (type !== undefined && floatTypes.has(type)) {
    throw new FormatSpecProblem(`format type '${type}' is for decimals; expressions compute whole numbers (use d, x, X, o, b or c)`);
  }
  if (type !== undefined && type !== 's' && !integerTypes.has(type)) throw new FormatSpecProblem(`unknown format type '${type}'`);
  const width = widthText === '' ? 0 : Number(widthText);
  if (width > 1000) throw new FormatSpecProblem(`format width ${width} is too large`);
  if (zeroPad) fill = '0';
  return { fill, zeroPad, align, sign, alternate, width, grouping, precision, type };
}

/** Why the spec cannot format a whole number, or undefined if it can. */
export function integerSpecProblem(spec: FormatSpec): string | undefined {
  const type = spec.type ?? 'd';
  if (type === 's') return "format type 's' is for text, but this field is a number (use d, or no type)";
  if (spec.precision !== undefined) return 'a precision (.N) is not allowed when formatting a whole number';
  if (type === 'c' && spec.sign !== undefined) return "a sign is not allowed with format type 'c'";
  if (type === 'c' && spec.alternate) return "'#' is not allowed with format type 'c'";
  if (spec.grouping === ',' && type !== 'd') return `',' grouping is not allowed with format type '${type}'`;
  if (spec.grouping === '_' && (type === 'c' || type === 'n')) return `'_' grouping is not allowed with format type '${type}'`;
  return undefined;
}

/** Why the spec cannot format text, or undefined if it can. */
export function textSpecProblem(spec: FormatSpec): string | undefined {
  if (spec.type !== undefined && spec.type !== 's') return `format type '${spec.type}' needs a number, but this field is text`;
  if (spec.sign !== undefined) return 'a sign is not allowed when formatting text';
  if (spec.alternate) return "'#' is not allowed when formatting text";
  if (spec.align === '=') return "'=' alignment is not allowed when formatting text";
  if (spec.grouping !== undefined) return `'${spec.grouping}' grouping is not allowed when formatting text`;
  return undefined;
}

const prefixes: Record<string, string> = { b: '0b', o: '0o', x: '0x', X: '0X' };
const radixes: Record<string, number> = { b: 2, o: 8, x: 16, X: 16, d: 10, n: 10 };

/**
 * Builds the formatter once per field so per-node work is only the
 * conversion itself. The spec must have passed integerSpecProblem.
 */
export function integerFormatter(spec: FormatSpec): (value: number) => string {
  const type = spec.type ?? 'd';
  const plain = spec.width === 0 && spec.sign === undefined && !spec.alternate && spec.grouping === undefined;
  if (plain && type === 'd') return String;
  if (spec.zeroPad && spec.align === undefined && spec.sign === undefined && !spec.alternate && spec.grouping === undefined && type === 'd') {
    // The common {n1:03d}: keep it cheap for 100k-node fleets.
    const width = spec.width;
    return (value) => (value < 0 ? `-${String(-value).padStart(width - 1, '0')}` : String(value).padStart(width, '0'));
  }
  const align = spec.align ?? (spec.zeroPad ? '=' : '>');
  const radix = radixes[type] ?? 10;
  const groupSize = type === 'd' || type === 'n' ? 3 : 4;
  return (value) => {
    let digits: string;
    if (type === 'c') {
      if (value < 0 || value > 0x10ffff) throw new FormatSpecProblem(`${value} is not a Unicode code point, so format type 'c' cannot show it`);
      digits = String.fromCodePoint(value);
    } else {
      digits = Math.abs(value).toString(radix);
      if (type === 'X') digits = digits.toUpperCase();
    }
    const sign = value < 0 ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
    const prefix = spec.alternate ? (prefixes[type] ?? '') : '';
    if (spec.grouping !== undefined) {
      if (align === '=' && spec.fill === '0') {
        // Python pads with zeros inside the grouping: format(1234, '08,') is 0,001,234.
        const minimum = spec.width - sign.length - prefix.length;
        let grouped = group(digits, spec.grouping, groupSize);
        while (grouped.length < minimum) {
          digits = `0${digits}`;
          grouped = group(digits, spec.grouping, groupSize);
        }
        return sign + prefix + grouped;
      }
      digits = group(digits, spec.grouping, groupSize);
    }
    return pad(sign + prefix, digits, spec.fill, align, spec.width);
  };
}

function group(digits: string, separator: string, size: number): string {
  let out = '';
  for (let end = digits.length; end > 0; end -= size) {
    const start = Math.max(0, end - size);
    out = out === '' ? digits.slice(start, end) : `${digits.slice(start, end)}${separator}${out}`;
  }
  return out;
}

/** `head` is the sign and prefix, kept left of the padding with '=' alignment. */
function pad(head: string, body: string, fill: string, align: '<' | '>' | '^' | '=', width: number): string {
  const length = codePointLength(head) + codePointLength(body);
  if (length >= width) return head + body;
  const missing = width - length;
  switch (align) {
    case '<':
      return head + body + fill.repeat(missing);
    case '>':
      return fill.repeat(missing) + head + body;
    case '=':
      return head + fill.repeat(missing) + body;
    case '^': {
      const left = Math.floor(missing / 2);
      return fill.repeat(left) + head + body + fill.repeat(missing - left);
    }
  }
}

/** The spec must have passed textSpecProblem. */
export function textFormatter(spec: FormatSpec): (value: string) => string {
  if (spec.width === 0 && spec.precision === undefined) return (value) => value;
  const align = spec.align ?? '<';
  const precision = spec.precision;
  return (value) => {
    const text = precision !== undefined && codePointLength(value) > precision ? Array.from(value).slice(0, precision).join('') : value;
    return pad('', text, spec.fill, align as '<' | '>' | '^', spec.width);
  };
}

/** Python measures width in code points; JavaScript strings count UTF-16 units. */
function codePointLength(text: string): number {
  let surrogates = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) surrogates++;
  }
  return text.length - surrogates;
}
