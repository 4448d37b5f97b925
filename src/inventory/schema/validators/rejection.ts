/**
 * Validators throw ValueRejected with the reason only ("'x' is not a MAC
 * address (...)"); validateAttributeValue adds the attribute name and turns it
 * into a BerthError, so each validator stays a plain string function.
 */
export class ValueRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ValueRejected';
  }
}

export function reject(reason: string): never {
  throw new ValueRejected(reason);
}

/** The value as it appears in a message: quoted, control characters escaped, long values cut. */
export function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  // JSON escaping makes tabs, newlines and other invisible characters visible.
  return `'${JSON.stringify(shown).slice(1, -1).replace(/\\"/g, '"')}'`;
}

/** Lists are written comma separated; spaces (or newlines from a file) are accepted too. */
export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}

export function rejectDuplicates(items: readonly string[], noun: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) reject(`lists ${noun} ${quote(item)} twice`);
    seen.add(item);
  }
}
