import { BerthError } from '../../../errors.ts';
import type { BootEvent } from '../../../events/boot-event.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { formatEvent } from '../timeline-format.ts';

export const options = { limit: { type: 'string' as const, value: 'N', description: 'show at most the N newest steps' } };

export async function run(context: CommandContext): Promise<void> {
  const [node] = context.positionals;
  if (node === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth node timeline <node|mac> [--limit N]');
  const result = await context.client().get(`/api/v1/nodes/${encodeURIComponent(node)}/timeline`, { limit: context.values['limit'] as string | undefined });
  if (context.json) return printJson(result);
  const events = result.events as BootEvent[];
  if (events.length === 0) return void process.stdout.write(`${node}: no boot events yet\n`);
  process.stdout.write(events.map((e) => formatEvent(e, false)).join('\n') + '\n');
}
