import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [name] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing group name\nusage: berth group show <name>');
  const group = await context.client().get(`/api/v1/groups/${encodeURIComponent(name)}`);
  if (context.json) return printJson(group);
  const lines = [`${group.name}: description: ${group.description}`, `${group.name}: members: ${group.noderange} (${group.members})`];
  for (const [attribute, raw] of Object.entries(group.attributes as Record<string, string>)) lines.push(`${group.name}: ${attribute}: ${raw}`);
  process.stdout.write(lines.join('\n') + '\n');
}
