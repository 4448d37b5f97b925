import { BerthError } from '../../../errors.ts';
import { parseAssignments } from '../../args.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { describeResolution } from '../profile-format.ts';
import type { ProfileView } from '../../../profiles/profile-service.ts';

const USAGE = 'berth profile set <name> [image=REF] [boot_method=M] [kernel_args=TEXT] [description=TEXT]';

/** The words people type are the keys of profile.yaml; the API speaks camelCase. */
const FIELDS: Record<string, string> = { image: 'image', boot_method: 'bootMethod', kernel_args: 'kernelArgs', description: 'description' };

export async function run(context: CommandContext): Promise<void> {
  const [name, ...words] = context.positionals;
  if (name === undefined || words.length === 0) throw new BerthError('BERTH_BAD_INPUT', `missing arguments\nusage: ${USAGE}`);
  const body: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseAssignments(words, USAGE))) {
    const field = FIELDS[key];
    if (field === undefined) throw new BerthError('BERTH_BAD_INPUT', `a profile has no setting '${key}'; use ${Object.keys(FIELDS).join(', ')}\nusage: ${USAGE}`);
    body[field] = value;
  }
  const profile = (await context.client().request('PATCH', `/api/v1/profiles/${encodeURIComponent(name)}`, body)) as ProfileView;
  if (context.json) printJson(profile);
  else process.stdout.write(`changed profile ${profile.name}: ${describeResolution(profile)}${profile.bootMethod ? `, ${profile.bootMethod}` : ''}\n`);
}
