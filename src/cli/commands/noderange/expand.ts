import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [range] = context.positionals;
  if (range === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth noderange expand <noderange>');
  const result = await context.client().get('/api/v1/noderange/expand', { range });
  if (context.json) return printJson(result);
  const nodes = result.nodes as string[];
  process.stdout.write(nodes.length ? nodes.join('\n') + '\n' : '');
}
