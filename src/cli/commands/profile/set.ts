import { BerthError } from '../../../errors.ts';
import { closestName } from '../../../util/closest-name.ts';
import { parseAssignments } from '../../args.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { describeResolution } from '../profile-format.ts';
import type { ProfileView } from '../../../profiles/profile-service.ts';

const USAGE = 'berth profile set <name> [image=REF] [boot_method=M] [kernel_args=TEXT] [description=TEXT]';

/** The words people type are the keys of profile.yaml; the API speaks camelCase. */
const FIELDS: Record<string, string> = { image: 'image', boot_method: 'bootMethod', kernel_args: 'kernelArgs', description: 'description' };

/** `--kernel-args` here is answered with `kernel_args=` (args.ts). */
export const assignments = Object.keys(FIELDS);

export async function run(context: CommandContext): Promise<void> {
  const [name, ...words] = context.positionals;
  if (name === undefined || words.length === 0) throw new BerthError('BERTH_BAD_INPUT', `missing arguments\nusage: ${USAGE}`);
  const body: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseAssignments(words, USAGE))) {
    const field = FIELDS[key];
    if (field === undefined) {
      // `kernel-args=` is what --kernel-args of profile define suggests; the profile.yaml key is kernel_args.
      const near = key.replace(/-/g, '_') in FIELDS ? key.replace(/-/g, '_') : closestName(key, assignments);
      throw new BerthError('BERTH_BAD_INPUT', `a profile has no setting '${key}'${near ? ` (did you mean ${near}=?)` : ''}; use ${assignments.join(', ')}\nusage: ${USAGE}`);
    }
    body[field] = value;
  }
  const profile = (await context.client().request('PATCH', `/api/v1/profiles/${encodeURIComponent(name)}`, body)) as ProfileView;
  if (context.json) printJson(profile);
  else process.stdout.write(`changed profile ${profile.name}: ${describeResolution(profile)}${profile.bootMethod ? `, ${profile.bootMethod}` : ''}\n`);
}
