import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { interface: { type: 'string' as const, value: 'NAME', description: "set net.NAME.hwaddr (default: the discovery policy's interface)" } };

export async function run(context: CommandContext): Promise<void> {
  const [machine, node] = context.positionals;
  if (machine === undefined || node === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth discover assign <mac|uuid> <node> [--interface NAME]');
  const body: Record<string, string> = { machine, node };
  if (context.values['interface'] !== undefined) body['interface'] = context.values['interface'] as string;
  const result = await context.client().request('POST', '/api/v1/discovered/assign', body);
  if (context.json) printJson(result);
  else process.stdout.write(`${result.mac} is now ${result.node} (${result.attribute})\n`);
}
