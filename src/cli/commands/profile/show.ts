import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { describeResolution } from '../profile-format.ts';
import type { ProfileView } from '../../../profiles/profile-service.ts';

/** `profile: key: value` lines, like `node show` and `group show`: greppable, one fact per line. */
export async function run(context: CommandContext): Promise<void> {
  const [name] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing profile name\nusage: berth profile show <name>');
  const profile = (await context.client().get(`/api/v1/profiles/${encodeURIComponent(name)}`)) as ProfileView;
  if (context.json) return printJson(profile);
  const facts: [string, string][] = [];
  if (profile.kind === 'image') {
    facts.push(['image', describeResolution(profile)], ['boot_method', profile.bootMethod ?? '']);
  } else if (profile.kind === 'install') {
    facts.push(['media', profile.media ?? ''], ['packages', (profile.packages ?? []).join(',')]);
  } else {
    facts.push(['kernel', profile.kernel ?? ''], ['initrds', (profile.initrds ?? []).join(',')]);
  }
  facts.push(['kernel_args', profile.kernelArgs], ['description', profile.description]);
  if (profile.problem !== undefined) facts.push(['problem', profile.problem]);
  for (const [folder, scripts] of Object.entries(profile.scripts ?? {})) facts.push([folder, scripts.join(',')]);
  facts.push(['nodes.pending', profile.nodes.pending], ['nodes.deployed', profile.nodes.deployed]);
  process.stdout.write(facts.map(([key, value]) => `${profile.name}: ${key}: ${value}`).join('\n') + '\n');
}
