/**
 * What `berth help`, `berth <noun>` and `--help` print. A command's help is
 * made from its own declarations: the summary, usage and examples in the
 * command table, and the flags its module parses with (args.ts `Flags`), so
 * the help cannot list a flag the command does not take, or miss one.
 */
import { BerthError } from '../errors.ts';
import { closestName } from '../util/closest-name.ts';
import { VERSION } from '../version.ts';
import { GLOBAL_OPTIONS } from './args.ts';
import type { Flags } from './args.ts';
import type { CommandModule } from './command.ts';
import { COMMANDS } from './commands.ts';
import type { CommandEntry } from './commands.ts';
import { EXIT_CODE_HELP } from './exit-codes.ts';

const NODERANGES = `Noderanges: n1-n20, n[1-20], n[01-20], r[1-3]u[01-10], n1+3, n[1:20:2], ~regex,
  attr=value (also == != =~ !~), a,b (union), a,-b (minus), a@b (both), (..), range>COUNT<SKIP
  Quote them ('n[1-20]'): unquoted, the shell expands [..], {..} and * into file names or several words.`;

/** The command list (all of it, or one noun's verbs) with the global flags. */
export function commandList(noun?: string): string {
  const entries = COMMANDS.filter((c) => noun === undefined || c.path[0] === noun);
  const width = Math.max(...entries.map((c) => c.path.join(' ').length));
  const lines = entries.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return `berth ${VERSION}: deploys operating systems to fleets of bare-metal machines

Usage: berth <command> [arguments] [--json] [--server URL --token-file FILE [--ca FILE]]
       berth help <command>   (or berth <command> --help): its flags and examples

Commands:
${lines.join('\n')}

Global options:
${flagLines(GLOBAL_OPTIONS)}

${NODERANGES}

${EXIT_CODE_HELP}
`;
}

/** One command: what it does, its usage, its flags and the global ones, examples. */
export function commandHelp(entry: CommandEntry, module: CommandModule): string {
  const own = module.options ?? {};
  const sections = [`berth ${entry.path.join(' ')}: ${entry.summary}`, `Usage: ${entry.usage}`];
  if (Object.keys(own).length > 0) sections.push(`Options:\n${flagLines(own)}`);
  sections.push(`Global options:\n${flagLines(GLOBAL_OPTIONS)}`);
  if (entry.noderanges) sections.push(NODERANGES);
  sections.push(`Examples:\n${entry.examples.map((e) => `  ${e}`).join('\n')}`);
  return sections.join('\n\n') + '\n';
}

/**
 * `berth help WORDS...`: the command they name, or the noun's verbs, or an
 * error with the nearest command. Returns the entry for a command (its
 * module is loaded by the caller) or the text to print.
 */
export function resolveHelp(words: string[]): { entry: CommandEntry } | { text: string } {
  if (words.length === 0) return { text: commandList() };
  const entry = COMMANDS.find((c) => c.path.length === words.length && c.path.every((p, i) => p === words[i]));
  if (entry) return { entry };
  if (words.length === 1 && COMMANDS.some((c) => c.path[0] === words[0])) return { text: commandList(words[0]) };
  throw unknownCommand(words, 'berth help ');
}

/** `unknown command 'node lsit' (did you mean: berth node list?)`, for a run and for help. */
export function unknownCommand(words: string[], prefix = 'berth '): BerthError {
  const typed = words.join(' ');
  const names = [...COMMANDS.map((c) => c.path.join(' ')), ...new Set(COMMANDS.map((c) => c.path[0]!))];
  const near = closestName(typed, names);
  return new BerthError('BERTH_BAD_INPUT', `unknown command '${typed}' (${near === undefined ? 'see: berth help' : `did you mean: ${prefix}${near}?`})`);
}

function flagLines(flags: Flags): string {
  const heads = Object.entries(flags).map(([name, flag]) => {
    const short = flag.short ? `-${flag.short}, ` : '';
    const value = flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : '';
    return `${short}--${name}${value}${flag.multiple ? '...' : ''}`;
  });
  const width = Math.max(...heads.map((h) => h.length));
  return Object.values(flags)
    .map((flag, i) => `  ${heads[i]!.padEnd(width)}  ${flag.description}`)
    .join('\n');
}
