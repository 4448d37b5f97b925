import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { profilesUsing } from '../../../profiles/media-users.ts';
import { localMedia } from './local-media.ts';

export const options = { force: { type: 'boolean' as const, description: 'remove it even while a profile installs from it' } };

export async function run(context: CommandContext): Promise<void> {
  const [name] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing media name\nusage: berth media remove <name> [--force]');
  const { media, profiles } = await localMedia(context, { write: true });
  const inUse = await profilesUsing(profiles, name);
  await media.remove(name, { inUse, force: context.values['force'] === true });
  if (context.json) return printJson({ removed: name, profiles: inUse });
  process.stdout.write(`removed media ${name}\n${inUse.length > 0 ? `profiles ${inUse.join(', ')} install from it no longer: nodes deployed with them boot their local disk\n` : ''}`);
}
