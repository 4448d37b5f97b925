import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { interface: { type: 'string' as const, value: 'NAME', description: "the interface whose hwaddr a discovered machine's MAC is recorded under" } };

const USAGE = 'berth discover policy manual|uuid|sequential <noderange> [--interface NAME]';

export async function run(context: CommandContext): Promise<void> {
  const [mode, noderange] = context.positionals;
  if (mode === undefined) {
    const result = await context.client().get('/api/v1/discovered');
    if (context.json) return printJson(result.policy);
    return void process.stdout.write(`${result.policy.mode}${result.policy.noderange ? ` ${result.policy.noderange}` : ''} (interface ${result.policy.interfaceName})\n`);
  }
  if (mode === 'sequential' && noderange === undefined) throw new BerthError('BERTH_BAD_INPUT', `the sequential policy needs a noderange\nusage: ${USAGE}`);
  const body: Record<string, string> = { mode };
  if (noderange !== undefined) body['noderange'] = noderange;
  if (context.values['interface'] !== undefined) body['interface'] = context.values['interface'] as string;
  const result = await context.client().request('PUT', '/api/v1/discovery/policy', body);
  if (context.json) printJson(result);
  else process.stdout.write(`discovery policy: ${result.policy.mode}${result.policy.noderange ? ` ${result.policy.noderange}` : ''}\n`);
}
