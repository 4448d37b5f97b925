import { BerthError } from '../../../errors.ts';
import { requireImageName } from '../../../images/repository/image-ref.ts';
import type { VersionEntry } from '../../../images/repository/image-repository.ts';
import type { VersionUsers } from '../../../deploy/version-usage.ts';
import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';

/** Through the API (the local socket, or --server): the server owns its image files and knows who uses each version. */
export async function run(context: CommandContext): Promise<void> {
  const [name, extra] = context.positionals;
  if (name === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image versions <name>');
  requireImageName(name);
  const versions = (await context.client().get(`/api/v1/images/${encodeURIComponent(name)}/versions`)) as (VersionEntry & { usedBy: VersionUsers | null })[];
  if (context.json) return printJson(versions);
  printTable(
    ['VERSION', 'CREATED', 'SIZE', 'PACKAGES', 'KERNEL', 'PARENT', 'USED BY'],
    versions.map((v) =>
      'metadata' in v
        ? [
            `${name}@${v.version}`,
            v.metadata.created.slice(0, 19).replace('T', ' '),
            `${(v.metadata.artifact.bytes / 1048576).toFixed(0)} MiB`,
            String(v.metadata.manifest.packages),
            v.metadata.boot.kernelVersion,
            v.metadata.parent ? `${v.metadata.parent.name}@${v.metadata.parent.version}` : '-',
            v.usedBy ? v.usedBy.noderange : '-',
          ]
        : [`${name}@${v.version}`, 'DAMAGED', '', '', '', '', v.damaged],
    ),
  );
}
