import type { CommandContext } from '../command.ts';
import { printJson } from '../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const status = await context.client().get('/api/v1/status');
  if (context.json) return printJson(status);
  process.stdout.write(
    `berth ${status.version} running (pid ${status.pid}) on ${status.stateDir} since ${status.startedAt}\n` +
      `nodes: ${status.nodes}  groups: ${status.groups}  store revision: ${status.storeRevision}\n`,
  );
}
