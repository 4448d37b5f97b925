import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [noderange] = context.positionals;
  if (noderange === undefined || context.positionals.length > 1) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth node remove <noderange>');
  const result = await context.client().request('DELETE', '/api/v1/nodes', undefined, { range: noderange });
  if (context.json) printJson(result);
  else process.stdout.write(`removed ${result.removed} node(s): ${result.noderange}\n`);
}
