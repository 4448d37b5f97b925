import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const result = await context.client().get('/api/v1/boot/leases');
  if (context.json) return printJson(result);
  const leases = result.leases as { mac: string; address: string; network: string; node?: string; state: string; expiresAt: string }[];
  printTable(['MAC', 'ADDRESS', 'NODE', 'NETWORK', 'STATE', 'EXPIRES'], leases.map((l) => [l.mac, l.address, l.node ?? '', l.network, l.state, l.expiresAt.replace('T', ' ').slice(0, 19)]));
}
