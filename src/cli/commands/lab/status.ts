import { labStatus } from '../../../lab/lab.ts';
import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

export async function run(context: CommandContext): Promise<void> {
  const labs = await labStatus();
  if (context.json) return printJson({ labs });
  if (labs.length === 0) return void process.stdout.write('no labs\n');
  printTable(
    ['LAB', 'CREATED', 'OWNER', 'NAMESPACE', 'NODES', 'PROCESSES'],
    labs.map((l) => [l.name, l.createdAt, `${l.owner.pid}${l.owner.running ? '' : ' (gone)'}`, l.namespaceUp ? 'up' : 'missing', String(l.nodes.length), String(l.processes.length)]),
  );
}
