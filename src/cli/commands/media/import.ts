import { BerthError } from '../../../errors.ts';
import { startingProfiles } from '../../../installs/starting-profiles.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { localMedia } from './local-media.ts';

export const options = { name: { type: 'string' as const, value: 'NAME', description: 'the name to import it as (default: derived from the distribution and version)' }, force: { type: 'boolean' as const, description: 'import again over media of the same name' } };

export async function run(context: CommandContext): Promise<void> {
  const [source] = context.positionals;
  if (source === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing the ISO or directory to import\nusage: berth media import <iso-or-directory> [--name NAME] [--force]');
  const { media, profiles } = await localMedia(context, { write: true });
  const name = context.values['name'];
  const result = await media.import(source, { ...(typeof name === 'string' ? { name } : {}), force: context.values['force'] === true });
  const generated = await startingProfiles(result.record, profiles);
  if (context.json) return printJson({ ...result, profiles: generated });
  const r = result.record;
  process.stdout.write(
    `${result.unchanged ? 'already imported' : 'imported'} ${r.name}: ${r.label} (${r.distro} ${r.version} ${r.arch}, ${r.family})\n` +
      generated.created.map((p) => `profile ${p} created: berth deploy <nodes> ${p}\n`).join('') +
      generated.kept.map((p) => `profile ${p} kept as it is\n`).join(''),
  );
}
