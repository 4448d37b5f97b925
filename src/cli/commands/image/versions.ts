import { BerthError } from '../../../errors.ts';
import { requireImageName } from '../../../images/repository/image-ref.ts';
import type { CommandContext } from '../../command.ts';
import { printJson, printTable } from '../../output.ts';
import { localImages } from './local-images.ts';
import { usageOf } from './usage.ts';

export async function run(context: CommandContext): Promise<void> {
  const [name, extra] = context.positionals;
  if (name === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image versions <name>');
  requireImageName(name);
  const repo = await localImages(context);
  const versions = await repo.versions(name);
  if (versions.length === 0 && !(await repo.tree(name))) throw new BerthError('BERTH_NOT_FOUND', `image '${name}' does not exist`);
  const usage = await usageOf(context, name);
  if (context.json) return printJson(versions.map((v) => ({ ...v, usedBy: usage?.[v.version] ?? null })));
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
            usage === undefined ? '(server not running)' : usage[v.version] ? usage[v.version]!.noderange : '-',
          ]
        : [`${name}@${v.version}`, 'DAMAGED', '', '', '', '', v.damaged],
    ),
  );
}
