import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { force: { type: 'boolean' as const, description: 'remove it even while nodes name it as their pending or current profile' } };

export async function run(context: CommandContext): Promise<void> {
  const [name] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing profile name\nusage: berth profile remove <name> [--force]');
  const result = await context.client().request('DELETE', `/api/v1/profiles/${encodeURIComponent(name)}`, undefined, {
    force: context.values['force'] === true ? true : undefined,
  });
  if (context.json) return printJson(result);
  process.stdout.write(`removed profile ${result.removed}\n`);
  // Forced: say which nodes now name a profile that is gone, and what they will do.
  if (result.pending) process.stdout.write(`${result.pending} still name it in deployment.pending_profile and boot from local disk until given another profile\n`);
  if (result.deployed) process.stdout.write(`${result.deployed} still name it in deployment.profile\n`);
}
