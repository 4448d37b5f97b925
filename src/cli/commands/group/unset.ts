import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [name, ...unset] = context.positionals;
  if (name === undefined || unset.length === 0) throw new BerthError('BERTH_BAD_INPUT', 'missing arguments\nusage: berth group unset <name> ATTR...');
  const result = await context.client().request('PATCH', `/api/v1/groups/${encodeURIComponent(name)}`, { unset });
  if (context.json) printJson(result);
  else process.stdout.write(`changed group ${result.name} (${result.members} member(s))\n`);
}
