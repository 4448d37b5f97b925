import { BerthError } from '../../../errors.ts';
import { writeAtomic } from '../../../util/files.ts';
import type { CommandContext } from '../../command.ts';

export const options = { format: { type: 'string' as const, value: 'yaml|json', description: 'output format (default yaml, json with --json or an --output ending in .json)' }, output: { type: 'string' as const, short: 'o', value: 'FILE', description: 'write to FILE (mode 0600: it holds secrets) instead of stdout' } };

export async function run(context: CommandContext): Promise<void> {
  const output = context.values['output'] as string | undefined;
  const format = (context.values['format'] as string | undefined) ?? (output?.endsWith('.json') || context.json ? 'json' : 'yaml');
  if (format !== 'yaml' && format !== 'json') throw new BerthError('BERTH_BAD_INPUT', `--format must be yaml or json, not '${format}'`);
  const document = await context.client().get('/api/v1/inventory');
  let text: string;
  if (format === 'json') text = JSON.stringify(document, null, 2) + '\n';
  else {
    const { stringify } = await import('yaml');
    text = `# berth inventory export, ${new Date().toISOString().slice(0, 10)}; restore with: berth inventory import FILE\n` +
      stringify(document, { lineWidth: 0 });
  }
  if (output === undefined || output === '-') return void process.stdout.write(text);
  // An interrupted export never leaves half a backup; it holds secrets, so 0600.
  await writeAtomic(output, text, 0o600);
}
