/**
 * Noderanges the shell got to first. `n[1-3]` is a glob to sh: unquoted, in
 * a directory holding files n1 and n3, berth receives `n1 n3`; `n{1..3}`
 * becomes three words wherever it is typed (bash brace expansion). berth
 * sees only what arrives, so it judges by two signs, as confluent does with
 * its warning when a noderange matches a file in the working directory:
 *
 * - one noderange word that is also the name of a file here: a warning on
 *   stderr, and the command runs. A node may well be called like a file (a
 *   directory `compute` beside a group `compute`), so refusing would make
 *   the name unusable from that directory; quoting does not change the word.
 * - several words where one noderange belongs: an error, before anything is
 *   sent. Either they are file names in a row (a glob matched several), or
 *   the command takes a fixed number of words and got more (brace expansion,
 *   or a glob). Running with the first word only would act on the wrong
 *   nodes, and `node remove` on a wrong node cannot be taken back.
 *
 * Which words are noderanges is declared per command (commands.ts).
 */
import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError } from '../errors.ts';
import { compressNodes } from '../inventory/noderange/compress.ts';
import type { CommandEntry } from './commands.ts';

const QUOTE_HINT = 'an unquoted noderange such as n[1-3] or n{1..3} is expanded by the shell into several words';

/** Throws when the words cannot be one noderange; returns the warnings to print otherwise. */
export function checkNoderangeWords(entry: CommandEntry, words: string[], cwd = process.cwd()): string[] {
  const spec = entry.noderanges;
  if (spec === undefined) return [];
  const command = `berth ${entry.path.join(' ')}`;
  if (spec.most !== undefined && words.length > spec.most) {
    const at = spec.at[0]!;
    const split = words.slice(at, at + words.length - spec.most + 1);
    throw new BerthError('BERTH_BAD_INPUT', `${split.join(' ')}: ${command} takes one noderange here, not ${split.length} words; ${QUOTE_HINT}: quote it, as in '${compressNodes(split)}'\nusage: ${entry.usage}`);
  }
  const warnings: string[] = [];
  for (const at of spec.at) {
    const files: string[] = [];
    for (let i = at; i < words.length && (i === at || !spec.at.includes(i)) && isFileHere(words[i]!, cwd); i++) files.push(words[i]!);
    if (files.length > 1) {
      throw new BerthError(
        'BERTH_BAD_INPUT',
        `${files.join(' ')}: these are files in this directory, where ${command} takes one noderange; ${QUOTE_HINT} naming the files it matches: quote it, as in '${compressNodes(files)}'\nusage: ${entry.usage}`,
      );
    }
    if (files.length === 1) {
      warnings.push(`noderange '${files[0]}' is also the name of a file in this directory: if you typed a pattern such as n[1-3] unquoted, the shell replaced it with that file name; quote noderanges ('n[1-3]')`);
    }
  }
  return warnings;
}

function isFileHere(word: string, cwd: string): boolean {
  if (word === '' || word === '.' || word === '..') return false;
  try {
    lstatSync(resolve(cwd, word));
    return true;
  } catch {
    return false;
  }
}
