import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [range, extra] = context.positionals;
  if (range === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth node revoke-key <noderange>');
  const result = await context.client().request('POST', '/api/v1/nodes/revoke-key', { range });
  if (context.json) return printJson(result);
  process.stdout.write(result.count === 0 ? 'no keys to revoke\n' : `revoked the node keys of ${result.revoked}\n`);
}
