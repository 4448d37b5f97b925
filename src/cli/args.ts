/**
 * Parsing of command-line arguments shared by the commands. Each command
 * declares its flags once, as `Flags`: the same declaration parses the
 * arguments and writes the flag lines of its --help (help.ts).
 */
import { parseArgs } from 'node:util';
import { BerthError } from '../errors.ts';
import { closestName } from '../util/closest-name.ts';

/** One flag: how node:util parseArgs reads it, and its line in --help. */
export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** May be given more than once; the values arrive as a list. */
  multiple?: boolean;
  /** Its value when not given. */
  default?: string | boolean;
  /** The placeholder of its value in help (`--limit N`); string flags only. */
  value?: string;
  /** One line for --help: what it does, and its default if it has one. */
  description: string;
}

export type Flags = Record<string, Flag>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Flags = {
  json: { type: 'boolean', description: 'machine-readable output (errors too, on stderr)' },
  server: { type: 'string', value: 'URL', description: 'a remote server over HTTPS, https://HOST:PORT or HOST:PORT (or BERTH_SERVER); needs a token' },
  'token-file': { type: 'string', value: 'FILE', description: 'file holding the token for --server (or BERTH_TOKEN_FILE; or BERTH_TOKEN in the environment)' },
  token: { type: 'string', value: 'TOKEN', description: 'the token itself; every local user can read the command line (ps), prefer --token-file' },
  ca: { type: 'string', value: 'FILE', description: "CA certificate for --server (or BERTH_CA): the server's <state-dir>/public/ca.pem" },
  socket: { type: 'string', value: 'PATH', description: 'local admin socket (or BERTH_SOCKET; default <state-dir>/admin.sock)' },
  'state-dir': { type: 'string', value: 'DIR', description: 'state directory of the local server (or BERTH_STATE_DIR; default /var/lib/berth)' },
  help: { type: 'boolean', short: 'h', description: 'this help' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * `assignments`: the `key=value` words the command takes instead of flags
 * (`profile set`), so `--kernel-args` there can point at `kernel_args=`.
 */
export function parse(argv: string[], options: Flags, usage: string, assignments: readonly string[] = []): Parsed {
  const flags = { ...GLOBAL_OPTIONS, ...options };
  try {
    // Arguments such as `n[1-4]` or `-n5` inside a noderange must stay positional; `--` ends options.
    const { values, positionals } = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify.*$/s, '');
    const unknown = (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(message)?.[1] : undefined;
    throw new BerthError('BERTH_BAD_INPUT', `${message}${unknown ? unknownFlagHint(unknown, Object.keys(flags), assignments) : ''}\nusage: ${usage}`);
  }
}

/** ` (did you mean --kernel-args?)`, or the `key=` word that a command without flags takes for it. */
function unknownFlagHint(flag: string, names: string[], assignments: readonly string[]): string {
  const bare = flag.replace(/^-+/, '').replace(/=.*$/, '');
  const assignment = assignments.find((a) => a === bare.replace(/-/g, '_'));
  if (assignment !== undefined) return ` (say ${assignment}=VALUE: this command takes key=value words, not flags)`;
  const hyphenated = bare.replace(/_/g, '-');
  const near = names.includes(hyphenated) ? hyphenated : closestName(bare, names);
  return near === undefined ? '' : ` (did you mean --${near}?)`;
}

/** `key=value` words; a word without `=` is an error naming it. */
export function parseAssignments(words: string[], usage: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new BerthError('BERTH_BAD_INPUT', `expected attribute=value, got '${word}' (if it belongs to the noderange, the shell split an unquoted one: quote it, as in 'n[1-3]')\nusage: ${usage}`);
    if (eq === 0) throw new BerthError('BERTH_BAD_INPUT', `expected attribute=value, got '${word}'\nusage: ${usage}`);
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
