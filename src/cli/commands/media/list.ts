import type { MediaEntry } from '../../../media/media-repository.ts';
import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

/** Through the API (the local socket, or --server): the server owns its media files. */
export async function run(context: CommandContext): Promise<void> {
  const rows = (await context.client().get('/api/v1/media')) as (MediaEntry & { profiles: string[] })[];
  if (context.json) return printJson(rows);
  printTable(
    ['MEDIA', 'DISTRO', 'VERSION', 'ARCH', 'FAMILY', 'PROFILES'],
    rows.map((r) => ('record' in r ? [r.name, r.record.distro, r.record.version, r.record.arch, r.record.family, r.profiles.join(',') || '-'] : [r.name, `damaged: ${r.damaged}`, '', '', '', ''])),
  );
}
