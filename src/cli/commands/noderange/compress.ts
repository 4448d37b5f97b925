import { compressNodes } from '../../../inventory/noderange/compress.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

/** Works offline: compression needs no inventory, so it serves shell pipelines directly. */
export async function run(context: CommandContext): Promise<void> {
  let names = context.positionals;
  if (names.length === 0 || (names.length === 1 && names[0] === '-')) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    names = Buffer.concat(chunks).toString('utf8').split(/[\s,]+/).filter(Boolean);
  }
  const noderange = compressNodes(names);
  if (context.json) printJson({ noderange });
  else process.stdout.write(`${noderange}\n`);
}
