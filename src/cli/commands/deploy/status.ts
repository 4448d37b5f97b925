import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

export interface StatusRow {
  node: string;
  pending: string | null;
  profile: string | null;
  state: string | null;
  armed: string | null;
  key: boolean;
  last: { time: string; source: string; step: string } | null;
}

export function printStatus(rows: StatusRow[]): void {
  printTable(
    ['NODE', 'STATE', 'PENDING', 'CURRENT', 'ARMED', 'KEY', 'LAST STEP'],
    rows.map((r) => [r.node, r.state ?? '-', r.pending ?? '-', r.profile ?? '-', r.armed ?? '-', r.key ? 'yes' : 'no', r.last ? `${r.last.time.slice(11, 19)} ${r.last.source} ${r.last.step}` : '-']),
  );
}

export async function run(context: CommandContext): Promise<void> {
  const [range, extra] = context.positionals;
  if (range === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth deploy status <noderange>');
  const { nodes } = await context.client().get('/api/v1/deploy/status', { range });
  if (context.json) return printJson(nodes);
  printStatus(nodes);
}
