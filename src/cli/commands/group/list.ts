import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const result = await context.client().get('/api/v1/groups');
  if (context.json) return printJson(result);
  const groups = result.groups as { name: string; members: number; noderange: string; description: string; attributes: Record<string, string> }[];
  printTable(
    ['GROUP', 'MEMBERS', 'NODES', 'ATTRIBUTES', 'DESCRIPTION'],
    groups.map((g) => [g.name, String(g.members), g.noderange, String(Object.keys(g.attributes).length), g.description]),
  );
}
