import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const result = await context.client().get('/api/v1/tokens');
  if (context.json) return printJson(result);
  const tokens = result.tokens as { id: string; name: string; created: string; expires?: string }[];
  printTable(['ID', 'NAME', 'CREATED', 'EXPIRES'], tokens.map((t) => [t.id, t.name, t.created, t.expires ?? 'never']));
}
