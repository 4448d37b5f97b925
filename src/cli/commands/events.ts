import { BerthError } from '../../errors.ts';
import type { BootEvent } from '../../events/boot-event.ts';
import type { CommandContext } from '../command.ts';
import { formatEvent } from './timeline-format.ts';

export const options = { follow: { type: 'boolean' as const, short: 'f', description: "follow live events until interrupted (a node's past: berth node timeline)" } };

/** Follows boot events as they happen, of every machine or of a noderange. */
export async function run(context: CommandContext): Promise<void> {
  const [range] = context.positionals;
  if (!context.values['follow']) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth events --follow [<noderange>]   (a node\'s past events: berth node timeline <node>)');
  for await (const event of context.client().events('/api/v1/events', { range })) {
    process.stdout.write(context.json ? JSON.stringify(event) + '\n' : formatEvent(event as BootEvent, true) + '\n');
  }
}
