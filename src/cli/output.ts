/** How the CLI prints: aligned tables and plain lines for people, JSON for scripts, errors on stderr. */
import { BerthError, caretLine } from '../errors.ts';

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
