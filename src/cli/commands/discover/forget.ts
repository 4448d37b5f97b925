import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [mac] = context.positionals;
  if (mac === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth discover forget <mac>');
  const result = await context.client().request('DELETE', `/api/v1/discovered/${encodeURIComponent(mac)}`);
  if (context.json) printJson(result);
  else process.stdout.write(`forgot ${mac}\n`);
}
