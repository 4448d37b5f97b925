import { BerthError } from '../../../errors.ts';
import { parseAssignments } from '../../args.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { description: { type: 'string' as const, value: 'TEXT', description: 'what the group is for, shown by group list' } };

export async function run(context: CommandContext): Promise<void> {
  const [name, ...words] = context.positionals;
  const usage = 'berth group define <name> [ATTR=VALUE...] [--description TEXT]';
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', `missing group name\nusage: ${usage}`);
  const body: Record<string, unknown> = { name, attributes: parseAssignments(words, usage) };
  if (context.values['description'] !== undefined) body['description'] = context.values['description'];
  const result = await context.client().request('POST', '/api/v1/groups', body);
  if (context.json) printJson(result);
  else process.stdout.write(`defined group ${result.name}\n`);
}
