import { BerthError } from '../../../errors.ts';
import { parseAssignments, takeGroups } from '../../args.ts';
import type { CommandContext } from '../../command.ts';
import { CHANGE_OPTIONS, runChange } from '../../confirm.ts';
import { printJson } from '../../output.ts';

const USAGE = 'berth node set <noderange> ATTR=VALUE... [groups=G1,G2 | groups+=G3 | groups-=G4]';

export const options = CHANGE_OPTIONS;

export async function run(context: CommandContext): Promise<void> {
  const [noderange, ...words] = context.positionals;
  if (noderange === undefined || words.length === 0) throw new BerthError('BERTH_BAD_INPUT', `missing arguments\nusage: ${USAGE}`);
  const set = parseAssignments(words, USAGE);
  const groups = takeGroups(set);
  const body: Record<string, unknown> = { noderange, set, ...groups };
  const result = await runChange(context, 'change', (dryRun) => context.client().request('PATCH', '/api/v1/nodes', { ...body, ...(dryRun ? { dryRun } : {}) }));
  if (result === undefined) return;
  if (context.json) printJson(result);
  else process.stdout.write(`changed ${result.changed} node(s): ${result.noderange}\n`);
}
