import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { describeResolution } from '../profile-format.ts';
import type { ProfileView } from '../../../profiles/profile-service.ts';

const USAGE = 'berth profile define <name> --image REF [--boot-method tethered|untethered|installtodisk] [--kernel-args TEXT] [--description TEXT]';

export const options = {
  image: { type: 'string' as const, value: 'REF', description: 'the image version it boots: compute@3, or compute@latest for the newest at each boot' },
  'boot-method': { type: 'string' as const, value: 'METHOD', description: 'how the image reaches the node: tethered (default), untethered or installtodisk; profile set calls it boot_method=' },
  'kernel-args': { type: 'string' as const, value: 'TEXT', description: "extra kernel arguments, attribute expressions allowed ('ip={net.boot.ipv4_address}'); profile set calls it kernel_args=" },
  description: { type: 'string' as const, value: 'TEXT', description: 'what the profile is for, shown by profile list' },
};

export async function run(context: CommandContext): Promise<void> {
  const [name, ...extra] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', `missing profile name\nusage: ${USAGE}`);
  if (extra.length > 0) throw new BerthError('BERTH_BAD_INPUT', `unexpected argument '${extra[0]}' (quote kernel arguments: --kernel-args 'a b')\nusage: ${USAGE}`);
  const image = context.values['image'] as string | undefined;
  if (image === undefined) throw new BerthError('BERTH_BAD_INPUT', `missing --image, such as --image compute@latest\nusage: ${USAGE}`);
  const body: Record<string, string> = { name, image };
  const optional = { bootMethod: 'boot-method', kernelArgs: 'kernel-args', description: 'description' } as const;
  for (const [field, option] of Object.entries(optional)) {
    const value = context.values[option] as string | undefined;
    if (value !== undefined) body[field] = value;
  }
  const profile = (await context.client().request('POST', '/api/v1/profiles', body)) as ProfileView;
  if (context.json) printJson(profile);
  else process.stdout.write(`defined profile ${profile.name}: ${describeResolution(profile)}, ${profile.bootMethod}\n`);
}
