import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = {
  pattern: { type: 'string' as const, multiple: true, value: 'GLOB', description: 'host names the line trusts (default: every name and address of every node)' },
};

const USAGE = 'berth ssh known-hosts [--pattern GLOB]...';

/** Prints the line alone, so `berth ssh known-hosts >> ~/.ssh/known_hosts` is all an admin needs. */
export async function run(context: CommandContext): Promise<void> {
  const [extra] = context.positionals;
  if (extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', `unexpected argument '${extra}' (host patterns go after --pattern)\nusage: ${USAGE}`);
  const patterns = (context.values['pattern'] as string[] | undefined) ?? [];
  const result = await context.client().get('/api/v1/ssh/known-hosts', { pattern: patterns.length > 0 ? patterns.join(',') : undefined });
  if (context.json) return printJson(result);
  process.stdout.write(`${result.line}\n`);
}
