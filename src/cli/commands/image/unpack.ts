import { BerthError } from '../../../errors.ts';
import { unpackVersion } from '../../../images/unpack/unpack-version.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { localImages } from './local-images.ts';

export const options = { as: { type: 'string' as const, value: 'NEW-NAME', description: "unpack into a new image of this name instead of the image's own tree" } };

export async function run(context: CommandContext): Promise<void> {
  const [ref, extra] = context.positionals;
  if (ref === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image unpack <name>@<n> [--as NEW-NAME]');
  const repo = await localImages(context, { write: true });
  const { metadata, tree } = await unpackVersion(repo, ref, context.values['as'] as string | undefined);
  if (context.json) return printJson(tree);
  process.stdout.write(`unpacked ${metadata.name}@${metadata.version} (verified) into ${repo.layout(tree.name).treeRoot}\n`);
}
