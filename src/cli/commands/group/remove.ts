import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { force: { type: 'boolean' as const, description: 'remove it even while nodes are members (they leave the group)' } };

export async function run(context: CommandContext): Promise<void> {
  const [name] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing group name\nusage: berth group remove <name> [--force]');
  const result = await context.client().request('DELETE', `/api/v1/groups/${encodeURIComponent(name)}`, undefined, {
    force: context.values['force'] === true ? true : undefined,
  });
  if (context.json) printJson(result);
  else process.stdout.write(`removed group ${result.removed}\n`);
}
