import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';
import { localMedia, profilesUsing } from './local-media.ts';

export async function run(context: CommandContext): Promise<void> {
  const { media, profiles } = await localMedia(context);
  const entries = await media.list();
  const rows = [];
  for (const entry of entries) rows.push({ ...entry, profiles: await profilesUsing(profiles, entry.name) });
  if (context.json) return printJson(rows);
  printTable(
    ['MEDIA', 'DISTRO', 'VERSION', 'ARCH', 'FAMILY', 'PROFILES'],
    rows.map((r) => ('record' in r ? [r.name, r.record.distro, r.record.version, r.record.arch, r.record.family, r.profiles.join(',') || '-'] : [r.name, `damaged: ${r.damaged}`, '', '', '', ''])),
  );
}
