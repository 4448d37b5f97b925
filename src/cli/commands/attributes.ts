import type { CommandContext } from '../command.ts';
import { printJson, printTable } from '../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const [glob] = context.positionals;
  const result = await context.client().get('/api/v1/attributes');
  const pattern = glob === undefined ? undefined : new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}`);
  const attributes = (result.attributes as { name: string; type: string; description: string; values?: string[]; planned?: string }[]).filter(
    (a) => pattern === undefined || pattern.test(a.name),
  );
  if (context.json) return printJson({ attributes });
  printTable(
    ['ATTRIBUTE', 'TYPE', 'DESCRIPTION'],
    attributes.map((a) => [a.name, a.values ? `${a.type} (${a.values.filter(Boolean).join('|')})` : a.type, a.planned ? `Not applied yet, refused when set (${a.planned}). ${a.description}` : a.description]),
  );
}
