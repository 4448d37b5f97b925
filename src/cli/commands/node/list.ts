import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

export const options = { names: { type: 'boolean' as const, description: 'print only node names, one per line' }, compress: { type: 'boolean' as const, description: 'print the shortest noderange of the nodes selected' } };

export async function run(context: CommandContext): Promise<void> {
  const [noderange, ...attributes] = context.positionals;
  const result = await context.client().get('/api/v1/nodes', {
    range: noderange,
    attributes: attributes.length > 0 ? attributes.join(',') : undefined,
  });
  if (context.json) return printJson(result);
  if (context.values['compress']) return void process.stdout.write(`${result.noderange}\n`);
  const nodes = result.nodes as { name: string; groups: string[]; attributes: Record<string, { value?: string; error?: string }> }[];
  if (context.values['names']) return void process.stdout.write(nodes.map((n) => n.name).join('\n') + (nodes.length ? '\n' : ''));
  // A name asked for is a column even where no node has a value (the server refuses unknown names); a wildcard adds what it matched.
  const named = attributes.flatMap((a) => a.split(',')).filter((a) => a !== '' && !/[*?]/.test(a));
  const columns = attributes.length > 0 ? [...new Set([...named, ...nodes.flatMap((n) => Object.keys(n.attributes))])].sort() : [];
  printTable(
    ['NODE', 'GROUPS', ...columns.map((c) => c.toUpperCase())],
    nodes.map((n) => [n.name, n.groups.join(','), ...columns.map((c) => n.attributes[c]?.value ?? (n.attributes[c]?.error ? '<error>' : ''))]),
  );
}
