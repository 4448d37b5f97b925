/**
 * `berth inventory import FILE`: the server checks the whole document and
 * reports every problem by node or group; this side keeps the YAML positions
 * and puts the file's line in front of each.
 */
import { readFile } from 'node:fs/promises';
import type { Document, LineCounter } from 'yaml';
import { BerthError } from '../../../errors.ts';
import type { ErrorLocation } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson, withPlaces } from '../../output.ts';

export const options = { merge: { type: 'boolean' as const, description: 'add to and change the inventory instead of replacing it' } };

export async function run(context: CommandContext): Promise<void> {
  const [file] = context.positionals;
  if (file === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth inventory import <FILE|-> [--merge]');
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8').catch((e: Error) => {
    throw new BerthError('BERTH_BAD_INPUT', `cannot read ${file}: ${e.message}`, { file });
  });
  const name = file === '-' ? '<stdin>' : file;
  const { value, lineOf } = await parseDocument(text, name);
  const result = await context
    .client()
    .request('PUT', '/api/v1/inventory', value, { mode: context.values['merge'] ? 'merge' : 'replace' })
    .catch((e: unknown) => {
      if (!(e instanceof BerthError)) throw e;
      throw withPlaces(e, (problem) => {
        const line = lineOf(problem.where);
        return line === undefined ? undefined : { prefix: `${name}:${line}: `, where: { file: name, line } };
      });
    });
  if (context.json) printJson(result);
  else process.stdout.write(`imported ${result.groups} group(s) and ${result.nodes} node(s) (${context.values['merge'] ? 'merged' : 'replaced'})\n`);
}

/**
 * YAML is a superset of JSON, so one parser reads both and reports the line
 * of every mistake; `lineOf` finds the line of the node, group or attribute
 * an error of the server names.
 */
async function parseDocument(text: string, file: string): Promise<{ value: unknown; lineOf: (where: ErrorLocation) => number | undefined }> {
  const { parseDocument: parseYaml, LineCounter } = await import('yaml');
  const lines = new LineCounter();
  const document = parseYaml(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const line = lines.linePos(error.pos[0]).line;
      return new BerthError('BERTH_BAD_INPUT', `${file}:${line}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, { file, line });
    });
    throw new BerthError('BERTH_BAD_INPUT', problems[0]!.message, problems[0]!.where, problems.slice(1, 20));
  }
  const value = document.toJS() as unknown;
  // Hand-written YAML says `location.u: 12`; attribute values are strings.
  for (const section of ['groups', 'nodes']) {
    const records = (value as Record<string, unknown> | null)?.[section];
    if (records === null || typeof records !== 'object') continue;
    for (const record of Object.values(records as Record<string, { attributes?: Record<string, unknown> } | null>)) {
      const attributes = record?.attributes;
      if (attributes === null || typeof attributes !== 'object') continue;
      for (const [k, v] of Object.entries(attributes)) if (typeof v === 'number' || typeof v === 'boolean') attributes[k] = String(v);
    }
  }
  return { value, lineOf: (where) => lineOf(document, lines, where) };
}

/** The line of what `where` names: an attribute of a node or group, a node's group list, the record, or a JSON pointer. */
function lineOf(document: Document, lines: LineCounter, where: ErrorLocation): number | undefined {
  let path: string[];
  if (where.node !== undefined) {
    const inner = where.attribute !== undefined ? ['attributes', where.attribute] : where.group !== undefined ? ['groups'] : [];
    path = ['nodes', where.node, ...inner];
  } else if (where.group !== undefined) path = ['groups', where.group, ...(where.attribute !== undefined ? ['attributes', where.attribute] : [])];
  else if (where.pointer !== undefined) path = where.pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  else return undefined;
  // The deepest key of the path the document has: a problem with an inherited attribute is at its node.
  let collection: unknown = document.contents;
  let found: number | undefined;
  for (const key of path) {
    const items = (collection as { items?: { key?: { value?: unknown; range?: [number, number, number] }; value?: unknown }[] } | null)?.items;
    const pair = items?.find((item) => String(item.key?.value) === key);
    if (!pair?.key?.range) break;
    found = lines.linePos(pair.key.range[0]).line;
    collection = pair.value;
  }
  return found;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
