import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { printStatus, type StatusRow } from './status.ts';

export const options = {
  arm: { type: 'string' as const, value: 'once|continuous|until=TIME', description: 'how long nodes stay armed to fetch their image key: one boot (default), every boot, or until TIME' },
  'no-wait': { type: 'boolean' as const, description: 'arm the nodes and return, without following them until they boot' },
  timeout: { type: 'string' as const, value: 'DURATION', description: 'stop following after this long, such as 45m or 2h (default 30m); the deployment goes on' },
};

const USAGE = 'berth deploy <noderange> <profile> [--arm once|continuous|until=TIME] [--no-wait] [--timeout 30m]';

/** `berth deploy`: start, then show each node's progress until all report booted (or installed), one failed, or the timeout. */
export async function run(context: CommandContext): Promise<number> {
  const [range, profile, extra] = context.positionals;
  if (range === undefined || profile === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', `usage: ${USAGE}`);
  const timeoutText = (context.values['timeout'] as string | undefined) ?? '30m';
  const timeout = /^(\d+)(s|m|h)$/.exec(timeoutText);
  if (!timeout) throw new BerthError('BERTH_BAD_INPUT', `--timeout ${timeoutText}: give a duration such as 90s, 30m or 2h`);
  const client = context.client();
  const started = await client.request('POST', '/api/v1/deploy', { range, profile, arm: (context.values['arm'] as string | undefined) ?? 'once' });
  if (context.values['no-wait']) {
    if (context.json) printJson(started);
    else process.stdout.write(`deploying ${started.boots} (profile ${profile}) to ${started.noderange}, armed ${started.arm}; power-cycle them to start\n`);
    return 0;
  }
  if (!context.json) process.stderr.write(`deploying ${started.boots} (profile ${profile}) to ${started.noderange}, armed ${started.arm}; waiting for the nodes to boot (power-cycle them; Ctrl-C stops waiting, not the deployment)\n`);
  const deadline = Date.now() + Number(timeout[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[timeout[2] as 's' | 'm' | 'h'];
  const seen = new Map<string, string>();
  for (;;) {
    const { nodes } = (await client.get('/api/v1/deploy/status', { range: started.noderange })) as { nodes: StatusRow[] };
    for (const row of nodes) {
      const line = `${row.state ?? '-'} ${row.last ? `${row.last.source} ${row.last.step}` : ''}`;
      if (!context.json && seen.get(row.node) !== line) process.stderr.write(`${row.node}: ${line}\n`);
      seen.set(row.node, line);
    }
    const done = nodes.every((r) => r.state === 'booted' || r.state === 'installed' || r.state === 'failed');
    if (done || Date.now() > deadline) {
      if (context.json) printJson({ ...started, nodes });
      else printStatus(nodes);
      if (!done) {
        process.stderr.write(`berth: timed out after ${timeoutText}; the deployment stays armed (berth deploy status ${started.noderange})\n`);
        return 1;
      }
      return nodes.some((r) => r.state === 'failed') ? 1 : 0;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
