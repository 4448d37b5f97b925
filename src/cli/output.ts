/** How the CLI prints: aligned tables and plain lines for people, JSON for scripts, errors on stderr. */
import { BerthError, caretLine } from '../errors.ts';
import type { ErrorLocation } from '../errors.ts';

/**
 * `berth node list | head -c 10`: the reader has what it wants and closes
 * the pipe. coreutils die of SIGPIPE there without a word; Node ignores
 * SIGPIPE and reports EPIPE as an 'error' event, which unhandled is a stack
 * trace. So: a closed stdout ends the command quietly with status 0 (not
 * the shell's 141 for a SIGPIPE death, so `set -o pipefail` scripts that
 * read only the first lines keep working); a closed stderr is ignored, and
 * the exit status still says whether the command worked.
 */
export function quietOnClosedPipes(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  process.stderr.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Columns sized to their widest cell; the last column is not padded so lines carry no trailing spaces. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function printTable(headers: string[], rows: string[][]): void {
  process.stdout.write(formatTable(headers, rows));
}

export function formatError(error: BerthError): string {
  const lines = [`berth: ${error.message}`];
  if (error.where.column !== undefined && error.where.input !== undefined) lines.push(caretLine(error.where.input, error.where.column));
  for (const more of error.more) lines.push(`berth: ${more.message}`);
  return lines.join('\n') + '\n';
}

/**
 * The error and each of its `more`, placed: where `locate` knows the place
 * of a problem (the line of a file the server never saw), its prefix goes in
 * front of the message and its location joins `where`.
 */
export function withPlaces(error: BerthError, locate: (problem: BerthError) => { prefix: string; where: ErrorLocation } | undefined): BerthError {
  const place = (problem: BerthError): BerthError => {
    const found = locate(problem);
    return found ? new BerthError(problem.code, found.prefix + problem.message, { ...problem.where, ...found.where }, problem.more) : problem;
  };
  const first = place(error);
  return new BerthError(first.code, first.message, first.where, error.more.map(place));
}
