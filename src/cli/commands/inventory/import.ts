import { readFile } from 'node:fs/promises';
import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { merge: { type: 'boolean' as const } };

export async function run(context: CommandContext): Promise<void> {
  const [file] = context.positionals;
  if (file === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth inventory import <FILE|-> [--merge]');
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8').catch((e: Error) => {
    throw new BerthError('BERTH_BAD_INPUT', `cannot read ${file}: ${e.message}`, { file });
  });
  const document = await parseDocument(text, file);
  const result = await context.client().request('PUT', '/api/v1/inventory', document, { mode: context.values['merge'] ? 'merge' : 'replace' });
  if (context.json) printJson(result);
  else process.stdout.write(`imported ${result.groups} group(s) and ${result.nodes} node(s) (${context.values['merge'] ? 'merged' : 'replaced'})\n`);
}

/** YAML is a superset of JSON, so one parser reads both and reports the line of a mistake. */
async function parseDocument(text: string, file: string): Promise<unknown> {
  const { parseDocument: parseYaml, LineCounter } = await import('yaml');
  const lines = new LineCounter();
  const document = parseYaml(text, { lineCounter: lines, uniqueKeys: true });
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const line = lines.linePos(error.pos[0]).line;
    throw new BerthError('BERTH_BAD_INPUT', `${file}:${line}: ${error.message.split('\n')[0]}`, { file, line });
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
  return value;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
