import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

const USAGE = 'berth node show <noderange> [ATTR-GLOB...] [--provenance]';

export const options = { provenance: { type: 'boolean' as const, description: 'say where each value comes from: set on the node, or which group (and its expression)' } };

interface Resolved {
  value?: string;
  expression?: string;
  inheritedFrom?: string;
  error?: string;
}

/** confluent's `node: attribute: value` lines: greppable, one fact per line. */
export async function run(context: CommandContext): Promise<void> {
  const [noderange, ...globs] = context.positionals;
  if (noderange === undefined) throw new BerthError('BERTH_BAD_INPUT', `missing noderange\nusage: ${USAGE}`);
  const provenance = context.values['provenance'] === true;
  const result = await context.client().get('/api/v1/nodes', {
    range: noderange,
    attributes: globs.length > 0 ? globs.join(',') : '*',
    provenance,
  });
  if (context.json) return printJson(result);
  const lines: string[] = [];
  for (const node of result.nodes as { name: string; groups: string[]; attributes: Record<string, Resolved> }[]) {
    if (globs.length === 0) lines.push(`${node.name}: groups: ${node.groups.join(',')}`);
    for (const [name, attribute] of Object.entries(node.attributes)) {
      let line = `${node.name}: ${name}: ${attribute.error !== undefined ? `<error: ${attribute.error}>` : attribute.value}`;
      if (provenance) {
        const notes: string[] = [];
        notes.push(attribute.inheritedFrom !== undefined ? `from group ${attribute.inheritedFrom}` : 'set on node');
        if (attribute.expression !== undefined) notes.push(`expression ${attribute.expression}`);
        line += `   (${notes.join(', ')})`;
      }
      lines.push(line);
    }
  }
  process.stdout.write(lines.length > 0 ? lines.join('\n') + '\n' : '');
}
