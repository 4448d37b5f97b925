/**
 * Node definitions from CSV, as sites keep them in spreadsheets: a header row
 * with `name` (or `node`), optionally `groups` (comma- or space-separated in
 * its cell), and one column per attribute. Empty cells leave the attribute
 * unset. Quoting follows RFC 4180. Errors name the file, line and column:
 * the file's own here, and the server's (it never sees the file) through
 * `placeOf`, which the CLI puts in front of each.
 */
import { BerthError } from '../errors.ts';
import type { ErrorLocation } from '../errors.ts';
import type { NodeDefinition } from './inventory.ts';

export function parseCsvRows(text: string, file: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let afterQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      if (cell !== '' || afterQuote) throw new BerthError('BERTH_BAD_INPUT', `${file}:${line}: a quote may only start a field`, { file, line });
      quoted = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      afterQuote = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((x) => x !== '') || cells.length > 1) rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      afterQuote = false;
      line++;
      rowLine = line;
    } else {
      if (afterQuote) throw new BerthError('BERTH_BAD_INPUT', `${file}:${line}: text after a closing quote`, { file, line });
      cell += c;
    }
  }
  if (quoted) throw new BerthError('BERTH_BAD_INPUT', `${file}:${rowLine}: a quoted field is never closed`, { file, line: rowLine });
  cells.push(cell);
  if (cells.some((x) => x !== '') || cells.length > 1) rows.push({ line: rowLine, cells });
  return rows;
}

/** A parsed node CSV, and where in it a problem the server reports by node, attribute or group is. */
export interface NodeCsv {
  /** The rows that parsed: the server can still check them when others did not. */
  definitions: NodeDefinition[];
  /** Problems of the file itself (a row of the wrong length, a name twice), in line order. */
  problems: BerthError[];
  /** The row of the node and, when the problem is about one cell, its column's header. */
  placeOf(where: ErrorLocation): { line: number; column?: string } | undefined;
}

/** Every problem of the file is reported, each with its line; only a file without a usable header is thrown. */
export function parseNodeCsv(text: string, file: string): NodeCsv {
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''), file);
  const header = rows.shift();
  if (!header) throw new BerthError('BERTH_BAD_INPUT', `${file}: the file is empty; expected a header row such as name,groups,net.mgmt.hwaddr`, { file });
  const columns = header.cells.map((c) => c.trim());
  const nameColumn = columns.findIndex((c) => c === 'name' || c === 'node');
  if (nameColumn < 0) throw new BerthError('BERTH_BAD_INPUT', `${file}:${header.line}: the header has no 'name' column`, { file, line: header.line });
  const problems: BerthError[] = [];
  const problem = (line: number, message: string, where: ErrorLocation = {}): void => {
    problems.push(new BerthError('BERTH_BAD_INPUT', `${file}:${line}: ${message}`, { file, line, ...where }));
  };
  const seen = new Set<string>();
  columns.forEach((column, i) => {
    if (column === '') problem(header.line, `header cell ${i + 1} is empty`);
    else if (seen.has(column)) problem(header.line, `column '${column}' appears twice`, { attribute: column });
    seen.add(column);
  });
  const lineOf = new Map<string, number>();
  const definitions: NodeDefinition[] = [];
  for (const { line, cells } of rows) {
    if (cells.length !== columns.length) {
      problem(line, `${cells.length} field(s), but the header has ${columns.length}`);
      continue;
    }
    const name = cells[nameColumn]!.trim();
    if (name === '') {
      problem(line, 'the name is empty');
      continue;
    }
    const first = lineOf.get(name);
    if (first !== undefined) {
      problem(line, `node ${name} is already defined on line ${first}`, { node: name });
      continue;
    }
    lineOf.set(name, line);
    const definition: NodeDefinition = { name, groups: [], attributes: {} };
    columns.forEach((column, i) => {
      const value = cells[i]!.trim();
      if (i === nameColumn || value === '') return;
      if (column === 'groups') definition.groups = value.split(/[\s,]+/).filter(Boolean);
      else definition.attributes![column] = value;
    });
    definitions.push(definition);
  }
  return {
    definitions,
    problems,
    placeOf: (where) => {
      const line = where.node === undefined ? undefined : lineOf.get(where.node);
      if (line === undefined) return undefined;
      if (where.attribute !== undefined && seen.has(where.attribute)) return { line, column: where.attribute };
      if (where.group !== undefined && seen.has('groups')) return { line, column: 'groups' };
      return { line };
    },
  };
}
