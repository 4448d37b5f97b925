import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';
import type { ProfileView } from '../../../profiles/profile-service.ts';

export async function run(context: CommandContext): Promise<void> {
  const result = await context.client().get('/api/v1/profiles');
  if (context.json) return printJson(result);
  const profiles = result.profiles as ProfileView[];
  printTable(
    ['PROFILE', 'IMAGE', 'RESOLVES TO', 'METHOD', 'NODES', 'DESCRIPTION'],
    profiles.map((p) => [
      p.name,
      p.image ?? (p.kind === 'kernel' ? `kernel ${p.kernel}` : '-'),
      p.resolvesTo?.ref ?? (p.problem !== undefined ? `(${p.problem.length > 60 ? `${p.problem.slice(0, 57)}...` : p.problem})` : '-'),
      p.bootMethod ?? '-',
      String(p.nodes.count),
      p.description,
    ]),
  );
}
