import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { CHANGE_OPTIONS, runChange } from '../../confirm.ts';
import { printJson } from '../../output.ts';

const USAGE = 'berth node unset <noderange> ATTR...';

export const options = CHANGE_OPTIONS;

export async function run(context: CommandContext): Promise<void> {
  const [noderange, ...unset] = context.positionals;
  if (noderange === undefined || unset.length === 0) throw new BerthError('BERTH_BAD_INPUT', `missing arguments\nusage: ${USAGE}`);
  const result = await runChange(context, 'change', (dryRun) => context.client().request('PATCH', '/api/v1/nodes', { noderange, unset, ...(dryRun ? { dryRun } : {}) }));
  if (result === undefined) return;
  if (context.json) printJson(result);
  else process.stdout.write(`changed ${result.changed} node(s): ${result.noderange}\n`);
}
