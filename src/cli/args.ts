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

/** Membership asked for on the command line: a whole new list, or groups to add and to take out. */
export interface GroupChange {
  /** `groups=a,b`: the new list, in precedence order. */
  groups?: string[];
  /** `groups+=c`: appended (lowest precedence) where not already there. */
  addGroups?: string[];
  /** `groups-=d`: taken out where present. */
  removeGroups?: string[];
}

/**
 * Splits `groups=a,b`, `groups+=c` and `groups-=d` out of a set of
 * assignments (parseAssignments reads `groups+=c` as `groups+` = `c`):
 * groups are membership, not an attribute. `+=`/`-=` are xCAT's `groups,=`:
 * one group added to many nodes without restating each node's list.
 */
export function takeGroups(assignments: Record<string, string>): GroupChange {
  const out: GroupChange = {};
  for (const [word, field] of [['groups', 'groups'], ['groups+', 'addGroups'], ['groups-', 'removeGroups']] as const) {
    if (!(word in assignments)) continue;
    out[field] = assignments[word]!.split(',').map((g) => g.trim()).filter(Boolean);
    delete assignments[word];
  }
  if (out.groups !== undefined && (out.addGroups !== undefined || out.removeGroups !== undefined)) {
    throw new BerthError('BERTH_BAD_INPUT', 'groups= replaces the whole group list; give either groups= or groups+=/groups-=, not both');
  }
  return out;
}

export function requirePositionals(positionals: string[], count: number, usage: string): void {
  if (positionals.length < count) throw new BerthError('BERTH_BAD_INPUT', `missing argument\nusage: ${usage}`);
}
