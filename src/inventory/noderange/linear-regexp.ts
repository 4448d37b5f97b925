/**
 * The one way a noderange compiles a regular expression (`~regex`, `=~`,
 * `!~`): on V8's linear-time engine, never on its backtracking one.
 *
 * Noderanges come from anyone holding an admin token, and the daemon matches
 * them on the thread that also answers DHCP, TFTP and boot HTTP. On the
 * backtracking engine `~^(a+)+$` against a node named `aaaa…a-x` takes time
 * exponential in the name's length (over 60 s at 30 characters), freezing
 * every boot service with it. The linear engine (the `l` flag, an automaton
 * simulation in the manner of RE2) bounds a match by pattern size × text
 * size, so no pattern can do that.
 *
 * The engine sits behind V8's --enable-experimental-regexp-engine, set here
 * from code so every process that parses a noderange (daemon, CLI, tests)
 * gets it, whatever flags node was started with. It cannot run
 * backreferences, lookahead/lookbehind or large counted repetitions
 * (`{1,1000}`); such patterns are refused with a message saying so rather
 * than quietly run on the backtracking engine. If this Node.js has no
 * linear engine at all, every regex is refused (fail closed).
 *
 * MAX_PATTERN_LENGTH bounds the pattern side of pattern × text.
 */
import { setFlagsFromString } from 'node:v8';
import { MAX_PATTERN_LENGTH } from './limits.ts';
import { badInput, syntaxError } from './noderange-errors.ts';

setFlagsFromString('--enable-experimental-regexp-engine');

const available = (() => {
  try {
    return new RegExp('a', 'l').flags.includes('l');
  } catch {
    return false;
  }
})();

/** What V8 says when a valid pattern needs the backtracking engine. */
const NOT_LINEAR = /cannot be executed in linear time/i;

/**
 * Compiles `pattern` for linear-time matching. `column` is where the pattern
 * starts in `input`, for the error caret.
 */
export function compileLinearRegExp(pattern: string, column: number, input: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw badInput(
      `regular expression is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are accepted`,
      column,
      input,
    );
  }
  if (!available) {
    throw badInput(
      `regular expressions need V8's linear-time engine, which this Node.js (${process.version}) does not offer`,
      column,
      input,
    );
  }
  try {
    // Syntax first, on the ordinary parser, so a typo reads as a typo and not
    // as an unsupported feature. Constructing does not match: no backtracking.
    new RegExp(pattern);
  } catch (e) {
    throw syntaxError(`invalid regular expression '${pattern}': ${(e as Error).message}`, column, input);
  }
  try {
    return new RegExp(pattern, 'l');
  } catch (e) {
    if (!NOT_LINEAR.test((e as Error).message)) throw e;
    throw badInput(
      `regular expression '${pattern}' cannot be matched in linear time: berth refuses backreferences (\\1, \\k<name>), ` +
        `lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)), inline flags and counted repetitions above {16}`,
      column,
      input,
    );
  }
}
