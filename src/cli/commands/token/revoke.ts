import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [id] = context.positionals;
  if (id === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth token revoke <id|name>');
  const result = await context.client().request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
  if (context.json) printJson(result);
  else process.stdout.write(`revoked token ${result.revoked.name} (id ${result.revoked.id})\n`);
}
