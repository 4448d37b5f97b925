import { readFile } from 'node:fs/promises';
import { BerthError } from '../../../errors.ts';
import { parseNodeCsv } from '../../../inventory/csv.ts';
import { parseAssignments, takeGroups } from '../../args.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

const USAGE = 'berth node define <noderange> [groups=G1,G2] [ATTR=VALUE...] | berth node define --csv FILE';

export const options = { csv: { type: 'string' as const } };

export async function run(context: CommandContext): Promise<void> {
  const csv = context.values['csv'] as string | undefined;
  let body: Record<string, unknown>;
  if (csv !== undefined) {
    if (context.positionals.length > 0) throw new BerthError('BERTH_BAD_INPUT', `--csv takes no other arguments\nusage: ${USAGE}`);
    const text = csv === '-' ? await readStdin() : await readFile(csv, 'utf8').catch((e: Error) => {
      throw new BerthError('BERTH_BAD_INPUT', `cannot read ${csv}: ${e.message}`, { file: csv });
    });
    body = { nodes: parseNodeCsv(text, csv === '-' ? '<stdin>' : csv) };
  } else {
    const [noderange, ...words] = context.positionals;
    if (noderange === undefined) throw new BerthError('BERTH_BAD_INPUT', `missing noderange\nusage: ${USAGE}`);
    const attributes = parseAssignments(words, USAGE);
    const groups = takeGroups(attributes) ?? [];
    body = { noderange, groups, attributes };
  }
  const result = await context.client().request('POST', '/api/v1/nodes', body);
  if (context.json) printJson(result);
  else process.stdout.write(`defined ${result.defined} node(s): ${result.noderange}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
