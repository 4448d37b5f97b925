import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const status = await context.client().get('/api/v1/boot/status');
  if (context.json) return printJson(status);
  const https = typeof status.httpsPort === 'number' ? `, boot HTTPS port ${status.httpsPort} (trusting iPXE)` : '';
  process.stdout.write(`boot HTTP port ${status.httpPort}${https}${status.tftpPort !== undefined ? `, TFTP port ${status.tftpPort}` : ''}\n`);
  const networks = status.networks as { name: string; subnet: string; mode: string; serverAddress: string }[];
  if (networks.length > 0) printTable(['NETWORK', 'SUBNET', 'MODE', 'SERVER ADDRESS'], networks.map((n) => [n.name, n.subnet, n.mode, n.serverAddress]));
  else process.stdout.write('no DHCP networks configured (boot.networks in berth.yaml)\n');
  const dropped = Object.entries(status.dropped as Record<string, number>);
  process.stdout.write(dropped.length > 0 ? `refused or malformed:\n${dropped.map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n` : 'refused or malformed: none\n');
}
