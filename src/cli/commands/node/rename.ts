import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { CHANGE_OPTIONS, runChange } from '../../confirm.ts';
import { printJson } from '../../output.ts';

export const options = CHANGE_OPTIONS;

export async function run(context: CommandContext): Promise<void> {
  const [noderange, to] = context.positionals;
  if (noderange === undefined || to === undefined || context.positionals.length > 2) {
    throw new BerthError('BERTH_BAD_INPUT', "usage: berth node rename <noderange> <new-name | 'c{n1}' | new-noderange>");
  }
  const result = await runChange(context, 'rename', (dryRun) => context.client().request('POST', '/api/v1/nodes/rename', { noderange, to, ...(dryRun ? { dryRun } : {}) }));
  if (result === undefined) return;
  if (context.json) return printJson(result);
  for (const [from, target] of Object.entries(result.renamed as Record<string, string>)) process.stdout.write(`${from} → ${target}\n`);
}
