import { BerthError } from '../../../errors.ts';
import type { MediaRecord } from '../../../media/media.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

/** `media: key: value` lines, like the other show commands; through the API (the local socket, or --server). */
export async function run(context: CommandContext): Promise<void> {
  const [name] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing media name\nusage: berth media show <name>');
  const shown = (await context.client().get(`/api/v1/media/${encodeURIComponent(name)}`)) as MediaRecord & { folder: string; profiles: string[] };
  if (context.json) return printJson(shown);
  const { folder, profiles: used, ...record } = shown;
  const facts: [string, string][] = [
    ['label', record.label],
    ['distro', record.distro],
    ['version', record.version],
    ['arch', record.arch],
    ['family', record.family],
    ['kernel', record.kernel],
    ['initrds', record.initrds.join(',')],
    ...(record.iso ? ([['iso', record.iso]] as [string, string][]) : []),
    ['folder', folder],
    ['source', `${record.source.path} (${record.source.bytes} bytes, sha256 ${record.source.sha256})`],
    ['imported', record.imported],
    ...record.evidence.map((e): [string, string] => ['evidence', `${e.file}: ${e.says}`]),
    ['profiles', used.join(',')],
  ];
  process.stdout.write(facts.map(([key, value]) => `${record.name}: ${key}: ${value}`).join('\n') + '\n');
}
