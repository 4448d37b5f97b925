import { labDown } from '../../../lab/lab.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { all: { type: 'boolean' as const, description: 'remove every lab on this machine, not only those left behind' } };

/** Removes labs left behind (whose owner died), or with --all every lab. Never touches what a lab did not record. */
export async function run(context: CommandContext): Promise<void> {
  const results = await labDown({ all: context.values['all'] === true });
  if (context.json) return printJson({ labs: results });
  if (results.length === 0) return void process.stdout.write('no labs\n');
  for (const r of results) process.stdout.write(r.skipped ? `${r.name}: kept (${r.skipped})\n` : `${r.name}: removed\n`);
}
