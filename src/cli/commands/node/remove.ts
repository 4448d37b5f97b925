import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { CHANGE_OPTIONS, runChange } from '../../confirm.ts';
import { printJson } from '../../output.ts';

export const options = CHANGE_OPTIONS;

export async function run(context: CommandContext): Promise<void> {
  const [noderange] = context.positionals;
  if (noderange === undefined || context.positionals.length > 1) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth node remove <noderange> [--dry-run] [--yes]');
  const result = await runChange(context, 'remove', (dryRun) => context.client().request('DELETE', '/api/v1/nodes', undefined, { range: noderange, dryRun: dryRun || undefined }));
  if (result === undefined) return;
  if (context.json) printJson(result);
  else process.stdout.write(`removed ${result.removed} node(s): ${result.noderange}\n`);
}
