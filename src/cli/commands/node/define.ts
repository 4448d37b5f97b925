import { readFile } from 'node:fs/promises';
import { BerthError } from '../../../errors.ts';
import { parseNodeCsv } from '../../../inventory/csv.ts';
import { throwIfAny } from '../../../inventory/problems.ts';
import { parseAssignments, takeGroups } from '../../args.ts';
import type { ApiClient } from '../../client.ts';
import type { CommandContext } from '../../command.ts';
import { printJson, withPlaces } from '../../output.ts';

const USAGE = 'berth node define <noderange> [groups=G1,G2] [ATTR=VALUE...] | berth node define --csv FILE';

export const options = { csv: { type: 'string' as const, value: 'FILE', description: "define the nodes of a CSV file: a header row 'name,groups,ATTR,...', one node per line" } };

export async function run(context: CommandContext): Promise<void> {
  const csv = context.values['csv'] as string | undefined;
  let result: any;
  if (csv !== undefined) {
    if (context.positionals.length > 0) throw new BerthError('BERTH_BAD_INPUT', `--csv takes no other arguments\nusage: ${USAGE}`);
    const text = csv === '-' ? await readStdin() : await readFile(csv, 'utf8').catch((e: Error) => {
      throw new BerthError('BERTH_BAD_INPUT', `cannot read ${csv}: ${e.message}`, { file: csv });
    });
    result = await defineFromCsv(context.client(), text, csv === '-' ? '<stdin>' : csv);
  } else {
    const [noderange, ...words] = context.positionals;
    if (noderange === undefined) throw new BerthError('BERTH_BAD_INPUT', `missing noderange\nusage: ${USAGE}`);
    const attributes = parseAssignments(words, USAGE);
    const { groups = [], addGroups, removeGroups } = takeGroups(attributes);
    if (addGroups !== undefined || removeGroups !== undefined) {
      throw new BerthError('BERTH_BAD_INPUT', `node define takes groups= (new nodes have no group list to add to or take from)\nusage: ${USAGE}`);
    }
    result = await context.client().request('POST', '/api/v1/nodes', { noderange, groups, attributes });
  }
  if (context.json) printJson(result);
  else process.stdout.write(`defined ${result.defined} node(s): ${result.noderange}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Defines the CSV's nodes. The server names a problem by node and attribute;
 * here it gets the CSV's line and column. When the file itself has problems,
 * its good rows still go to the server, as a dry run, so one attempt lists
 * every problem, in line order, and defines nothing.
 */
async function defineFromCsv(client: ApiClient, text: string, file: string): Promise<any> {
  const csv = parseNodeCsv(text, file);
  const placed = (e: unknown): never => {
    if (!(e instanceof BerthError)) throw e;
    throw withPlaces(e, (problem) => {
      const place = csv.placeOf(problem.where);
      if (!place) return undefined;
      const column = place.column === undefined ? '' : `column ${place.column}: `;
      return { prefix: `${file}:${place.line}: ${column}`, where: { file, line: place.line } };
    });
  };
  if (csv.problems.length === 0) return client.request('POST', '/api/v1/nodes', { nodes: csv.definitions }).catch(placed);
  const problems = [...csv.problems];
  if (csv.definitions.length > 0) {
    await client.request('POST', '/api/v1/nodes', { nodes: csv.definitions, dryRun: true }).catch(placed).catch((e: unknown) => {
      if (!(e instanceof BerthError)) throw e;
      problems.push(e, ...e.more);
    });
  }
  problems.sort((a, b) => (a.where.line ?? Infinity) - (b.where.line ?? Infinity));
  throwIfAny(problems);
}
