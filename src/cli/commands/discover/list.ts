import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

interface Machine {
  mac: string;
  kind?: string;
  arch?: number;
  uuid?: string;
  vendorClass?: string;
  network: string;
  relay?: { giaddr: string; circuitId?: string };
  firstSeen: string;
  lastSeen: string;
  seen: number;
}

export async function run(context: CommandContext): Promise<void> {
  const result = await context.client().get('/api/v1/discovered');
  if (context.json) return printJson(result);
  const machines = result.machines as Machine[];
  printTable(
    ['MAC', 'KIND', 'ARCH', 'UUID', 'NETWORK', 'RELAY', 'FIRST SEEN', 'SEEN'],
    machines.map((m) => [m.mac, m.kind ?? '', m.arch === undefined ? '' : String(m.arch), m.uuid ?? '', m.network, m.relay ? `${m.relay.giaddr}${m.relay.circuitId ? ` port ${m.relay.circuitId}` : ''}` : '', m.firstSeen.replace('T', ' ').slice(0, 19), String(m.seen)]),
  );
  process.stdout.write(`policy: ${result.policy.mode}${result.policy.noderange ? ` ${result.policy.noderange}` : ''} (interface ${result.policy.interfaceName})\n`);
}
