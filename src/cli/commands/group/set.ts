import { BerthError } from '../../../errors.ts';
import { parseAssignments } from '../../args.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { description: { type: 'string' as const, value: 'TEXT', description: "replace the group's description" } };

export async function run(context: CommandContext): Promise<void> {
  const [name, ...words] = context.positionals;
  const usage = 'berth group set <name> ATTR=VALUE... [--description TEXT]';
  const description = context.values['description'] as string | undefined;
  if (name === undefined || (words.length === 0 && description === undefined)) throw new BerthError('BERTH_BAD_INPUT', `missing arguments\nusage: ${usage}`);
  const body: Record<string, unknown> = { set: parseAssignments(words, usage) };
  if (description !== undefined) body['description'] = description;
  const result = await context.client().request('PATCH', `/api/v1/groups/${encodeURIComponent(name)}`, body);
  if (context.json) printJson(result);
  else process.stdout.write(`changed group ${result.name} (${result.members} member(s))\n`);
}
