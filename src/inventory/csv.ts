/**
 * Node definitions from CSV, as sites keep them in spreadsheets: a header row
 * with `name` (or `node`), optionally `groups` (comma- or space-separated in
 * its cell), and one column per attribute. Empty cells leave the attribute
 * unset. Quoting follows RFC 4180. Errors name the file, line and column.
 */
import { BerthError } from '../errors.ts';
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

export function parseNodeCsv(text: string, file: string): NodeDefinition[] {
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''), file);
  const header = rows.shift();
  if (!header) throw new BerthError('BERTH_BAD_INPUT', `${file}: the file is empty; expected a header row such as name,groups,net.mgmt.hwaddr`, { file });
  const columns = header.cells.map((c) => c.trim());
  const nameColumn = columns.findIndex((c) => c === 'name' || c === 'node');
  if (nameColumn < 0) throw new BerthError('BERTH_BAD_INPUT', `${file}:${header.line}: the header has no 'name' column`, { file, line: header.line });
  const seen = new Set<string>();
  for (const column of columns) {
    if (column === '') throw new BerthError('BERTH_BAD_INPUT', `${file}:${header.line}: a header cell is empty`, { file, line: header.line });
    if (seen.has(column)) throw new BerthError('BERTH_BAD_INPUT', `${file}:${header.line}: column '${column}' appears twice`, { file, line: header.line });
    seen.add(column);
  }
  return rows.map(({ line, cells }) => {
    if (cells.length !== columns.length) {
      throw new BerthError('BERTH_BAD_INPUT', `${file}:${line}: ${cells.length} field(s), but the header has ${columns.length}`, { file, line });
    }
    const name = cells[nameColumn]!.trim();
    if (name === '') throw new BerthError('BERTH_BAD_INPUT', `${file}:${line}: the name is empty`, { file, line });
    const definition: NodeDefinition = { name, groups: [], attributes: {} };
    columns.forEach((column, i) => {
      const value = cells[i]!.trim();
      if (i === nameColumn || value === '') return;
      if (column === 'groups') definition.groups = value.split(/[\s,]+/).filter(Boolean);
      else definition.attributes![column] = value;
    });
    return definition;
  });
}
