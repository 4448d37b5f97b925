/**
 * The reverse of expand: a set of names written as a short noderange, for
 * output people read (`n[1-4,6,8-10]`, `r[1-3]u[01-10]`, `rack[1-2],n7`).
 *
 * Names are bucketed by skeleton, the name with each digit run taken out
 * (`r{}u{}`); only names of one skeleton can share brackets. Within a bucket,
 * numbers keep the padding they were written with: a bracket range pads to
 * the width of its start (see brackets.ts), so `n09`..`n20` is `n[09-20]`
 * while `n7`,`n8`,`n09` cannot share one range and come out as confluent
 * prints them, `n[7-8],n[09-20]`; `n01,n2,n03` stay apart.
 *
 * With several numbers, one field is bracketed per name group and the groups
 * whose brackets are identical are folded together on the remaining fields,
 * so a full cartesian block becomes `r[1-3]u[01-10]` and a ragged one
 * `r1u[1-10],r2u[1-5]`. Every choice of which field to bracket first is tried
 * (up to three fields) and the shortest text wins.
 *
 * Law (tested): expandNoderange(compressNodes(S)) is naturalSort(S) for any
 * set of names that each denote themselves as a noderange, which is the case
 * for berth's node names (a name like `n1-n2` is itself a range and cannot
 * be written literally, in confluent either).
 */
import { naturalCompare, naturalKey } from './natural-sort.ts';

export interface CompressOptions {
  /**
   * Groups that may stand for their members: a non-empty group whose members
   * are all in the set replaces them when the text gets shorter. Larger groups
   * are considered first; the groups used never overlap.
   */
  groups?: ReadonlyMap<string, readonly string[]>;
}

export function compressNodes(names: Iterable<string>, options: CompressOptions = {}): string {
  if (!options.groups) return compressNames(names);
  const all = new Set(names);
  if (all.size === 0) return '';
  const groups = [...options.groups]
    .map(([name, members]) => ({ name, members: new Set(members) }))
    .filter((group) => group.members.size > 0)
    .sort((a, b) => b.members.size - a.members.size || naturalCompare(a.name, b.name));

  // Two ways to pick groups, keeping whichever text is shorter (and names
  // alone if neither helps): one group at a time, only when it shortens the
  // text; and, as confluent does, every group that fits, largest first,
  // which wins when groups only pay off together (rack1,rack2,rack3 -> rack[1-3]).
  const withoutGroups = compressNames(all);
  let best = withoutGroups;
  let remaining = all;
  const chosen: string[] = [];
  for (const group of groups) {
    const rest = without(remaining, group.members);
    if (!rest) continue;
    const text = render([...chosen, group.name], rest);
    if (text.length < best.length) {
      chosen.push(group.name);
      remaining = rest;
      best = text;
    }
  }
  remaining = all;
  const every: string[] = [];
  for (const group of groups) {
    const rest = without(remaining, group.members);
    if (!rest) continue;
    every.push(group.name);
    remaining = rest;
  }
  const together = every.length > 0 ? render(every, remaining) : withoutGroups;
  return together.length < best.length ? together : best;
}

/** `names` minus `members`, or undefined unless every member is in `names`. */
function without(names: ReadonlySet<string>, members: ReadonlySet<string>): Set<string> | undefined {
  if (members.size > names.size) return undefined;
  for (const member of members) if (!names.has(member)) return undefined;
  const rest = new Set(names);
  for (const member of members) rest.delete(member);
  return rest;
}

/** Groups first, then the nodes they do not cover. */
function render(groupNames: string[], nodes: Iterable<string>): string {
  return [compressNames(groupNames), compressNames(nodes)].filter((part) => part !== '').join(',');
}

/** Names sharing one skeleton: its text pieces (one more than its numbers) and each name's numbers. */
interface Skeleton {
  texts: string[];
  fieldCount: number;
  /** Numbers as written, `fieldCount` per name, flattened to spare an array per name. */
  numbers: string[];
  /** The same numbers' values, NaN where one has more digits than a double holds exactly. */
  values: number[];
}

/** One bracketed position, already rendered: `[1-4,6]`, or `7` for a single value. */
interface FieldSet {
  /** Its smallest value, to order terms. */
  first: string;
  text: string;
}

/** A cartesian block: one FieldSet per number in the skeleton. */
type Term = FieldSet[];

function compressNames(names: Iterable<string>): string {
  const skeletons = new Map<string, Skeleton>();
  // Reused for every name (with explicit counts: truncating an array with
  // `length = 0` frees its storage, and 100,000 reallocations show up in GC).
  const bounds: number[] = [];
  const values: number[] = [];
  // Names usually arrive sorted, so most share the previous name's skeleton;
  // checking that first spares building and hashing a key per name.
  let last: Skeleton | undefined;
  for (const name of names) {
    let fields = 0;
    let i = 0;
    while (i < name.length) {
      if (!isDigit(name.charCodeAt(i))) {
        i++;
        continue;
      }
      let end = i;
      let value = 0;
      while (end < name.length && isDigit(name.charCodeAt(end))) value = value * 10 + name.charCodeAt(end++) - 48;
      bounds[2 * fields] = i;
      bounds[2 * fields + 1] = end;
      values[fields] = end - i <= 15 ? value : NaN;
      fields++;
      i = end;
    }
    let skeleton = last && sameSkeleton(name, bounds, fields, last.texts) ? last : undefined;
    if (!skeleton) {
      const texts: string[] = [];
      let from = 0;
      for (let f = 0; f < fields; f++) {
        texts.push(name.slice(from, bounds[2 * f]));
        from = bounds[2 * f + 1]!;
      }
      texts.push(name.slice(from));
      const key = texts.join('\u0000');
      skeleton = skeletons.get(key);
      if (!skeleton) {
        skeleton = { texts, fieldCount: fields, numbers: [], values: [] };
        skeletons.set(key, skeleton);
      }
    }
    last = skeleton;
    for (let f = 0; f < fields; f++) {
      skeleton.numbers.push(name.slice(bounds[2 * f], bounds[2 * f + 1]));
      skeleton.values.push(values[f]!);
    }
  }

  const rendered: { key: string; text: string }[] = [];
  for (const { texts, fieldCount, numbers, values } of skeletons.values()) {
    const textLength = texts.reduce((sum, text) => sum + text.length, 0);
    let terms: Term[];
    if (fieldCount === 0) terms = [[]];
    else if (fieldCount === 1) terms = fieldSets(numbers, values).map((set) => [set]);
    else {
      const tuples: string[][] = [];
      for (let t = 0; t < numbers.length; t += fieldCount) tuples.push(numbers.slice(t, t + fieldCount));
      terms = compressTuples(tuples, fieldCount, textLength);
    }
    for (const term of terms) {
      rendered.push({ key: naturalKey(renderTerm(texts, term, 'first')), text: renderTerm(texts, term, 'text') });
    }
  }
  rendered.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return rendered.map((r) => r.text).join(',');
}

/** Whether `name`, whose `fields` digit runs are at `bounds`, has exactly these text pieces. */
function sameSkeleton(name: string, bounds: number[], fields: number, texts: string[]): boolean {
  if (texts.length !== fields + 1) return false;
  let from = 0;
  for (let t = 0; t < texts.length; t++) {
    const to = t < fields ? bounds[2 * t]! : name.length;
    const text = texts[t]!;
    if (to - from !== text.length || !name.startsWith(text, from)) return false;
    from = bounds[2 * t + 1]!;
  }
  return true;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `textLength`: length of the skeleton's text, which every term repeats. */
function compressTuples(tuples: string[][], fieldCount: number, textLength: number): Term[] {
  if (fieldCount === 1) return fieldSets(tuples.map((tuple) => tuple[0]!)).map((set) => [set]);
  // Trying every field first is cheap for the usual two or three numbers;
  // beyond that, bracketing the last number is good enough.
  const order = fieldCount <= 3 ? [...Array(fieldCount).keys()].reverse() : [fieldCount - 1];
  let best: Term[] = [];
  let bestLength = Infinity;
  for (const field of order) {
    const terms = foldOn(tuples, fieldCount, field, textLength);
    // Every term repeats the skeleton text and needs a ',' after it.
    let length = 0;
    for (const term of terms) for (const set of term) length += set.text.length;
    length += terms.length * (textLength + 1);
    if (length < bestLength) {
      best = terms;
      bestLength = length;
    }
  }
  return best;
}

/** Brackets `field` within each combination of the other numbers, then folds identical brackets. */
function foldOn(tuples: string[][], fieldCount: number, field: number, textLength: number): Term[] {
  const byOthers = new Map<string, { others: string[]; values: string[] }>();
  for (const tuple of tuples) {
    const others = tuple.filter((_, i) => i !== field);
    const key = others.join(',');
    let entry = byOthers.get(key);
    if (!entry) byOthers.set(key, (entry = { others, values: [] }));
    entry.values.push(tuple[field]!);
  }
  const bySet = new Map<string, { set: FieldSet; others: string[][] }>();
  for (const { others, values } of byOthers.values()) {
    for (const set of fieldSets(values)) {
      let entry = bySet.get(set.text);
      if (!entry) bySet.set(set.text, (entry = { set, others: [] }));
      entry.others.push(others);
    }
  }
  const terms: Term[] = [];
  for (const { set, others } of bySet.values()) {
    for (const sub of compressTuples(others, fieldCount - 1, textLength)) {
      terms.push([...sub.slice(0, field), set, ...sub.slice(field)]);
    }
  }
  return terms;
}

/**
 * Renders numbers as brackets, walking them in numeric order and
 * starting a new bracket wherever the padding changes, as confluent does:
 * 7,8,09,10 gives `[7-8]` and `[09-10]`.
 */
function fieldSets(values: string[], numbers?: number[]): FieldSet[] {
  const { order, isNext } = numericOrder(values, numbers);
  const sets: FieldSet[] = [];
  let items: string[] = [];
  let width = 0;
  let runStart = -1;
  let previous = -1;
  const closeRun = () => {
    items.push(runStart === previous ? values[runStart]! : `${values[runStart]}-${values[previous]}`);
  };
  let setFirst = -1;
  const flush = () => {
    closeRun();
    const single = items.length === 1 && runStart === previous;
    sets.push({ first: values[setFirst]!, text: single ? items[0]! : `[${items.join(',')}]` });
    items = [];
  };
  for (const index of order) {
    const value = values[index]!;
    // A repeated name repeats its numbers; sorting put the copies side by side.
    if (previous >= 0 && value === values[previous]) continue;
    if (setFirst < 0 || !fitsWidth(value, width)) {
      if (setFirst >= 0) flush();
      setFirst = index;
      width = value.length > 1 && value.startsWith('0') ? value.length : 1;
      runStart = index;
    } else if (!isNext(previous, index)) {
      closeRun();
      runStart = index;
    }
    previous = index;
  }
  if (setFirst >= 0) flush();
  return sets;
}

/**
 * Indices of `values` in numeric order (ties by text, so `01` before `1`),
 * and whether one value is the successor of another. Numbers too long for a
 * double to hold exactly are never joined into ranges (expand refuses such
 * ranges); they are listed one by one, `[99999999999999999998,...]`.
 */
function numericOrder(
  values: string[],
  parsed: number[] | undefined,
): { order: number[]; isNext(a: number, b: number): boolean } {
  const numbers = parsed ?? values.map((value) => (value.length <= 15 ? Number(value) : NaN));
  const order: number[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) order[i] = i;
  const compare = (a: number, b: number) => {
    const x = numbers[a]!;
    const y = numbers[b]!;
    return x !== y && !Number.isNaN(x) && !Number.isNaN(y) ? x - y : naturalCompare(values[a]!, values[b]!);
  };
  if (!isSorted(order, compare)) order.sort(compare);
  return { order, isNext: (a, b) => numbers[b] === numbers[a]! + 1 };
}

function isSorted(order: number[], compare: (a: number, b: number) => number): boolean {
  for (let i = 1; i < order.length; i++) if (compare(order[i - 1]!, order[i]!) > 0) return false;
  return true;
}

/** Whether a range padded to `width` prints `value` exactly as written. */
function fitsWidth(value: string, width: number): boolean {
  return value.length === width || (value.length > width && !value.startsWith('0'));
}

/** The term as text (`r[1-3]u[01-10]`), or its first member (`r1u01`). */
function renderTerm(texts: string[], term: Term, part: 'text' | 'first'): string {
  let text = texts[0]!;
  for (let i = 0; i < term.length; i++) text += term[i]![part] + texts[i + 1]!;
  return text;
}
