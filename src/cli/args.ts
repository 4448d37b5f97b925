/** Parsing of command-line arguments shared by the commands. */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { BerthError } from '../errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  server: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  ca: { type: 'string' },
  socket: { type: 'string' },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: OptionSpec, usage: string): Parsed {
  try {
    // Arguments such as `n[1-4]` or `-n5` inside a noderange must stay positional; `--` ends options.
    const { values, positionals } = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    throw new BerthError('BERTH_BAD_INPUT', `${(e as Error).message.replace(/\. To specify.*$/s, '')}\nusage: ${usage}`);
  }
}

/** `key=value` words; a word without `=` is an error naming it. */
export function parseAssignments(words: string[], usage: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new BerthError('BERTH_BAD_INPUT', `expected attribute=value, got '${word}'\nusage: ${usage}`);
    const name = word.slice(0, eq);
    if (name in out) throw new BerthError('BERTH_BAD_INPUT', `attribute ${name} is given twice`, { attribute: name });
    out[name] = word.slice(eq + 1);
  }
  return out;
}

/** Splits `groups=a,b` out of a set of assignments: groups are membership, not an attribute. */
export function takeGroups(assignments: Record<string, string>): string[] | undefined {
  if (!('groups' in assignments)) return undefined;
  const groups = assignments['groups']!.split(',').map((g) => g.trim()).filter(Boolean);
  delete assignments['groups'];
  return groups;
}

export function requirePositionals(positionals: string[], count: number, usage: string): void {
  if (positionals.length < count) throw new BerthError('BERTH_BAD_INPUT', `missing argument\nusage: ${usage}`);
}
