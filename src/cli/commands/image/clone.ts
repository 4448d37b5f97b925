import { BerthError } from '../../../errors.ts';
import { cloneImage } from '../../../images/unpack/unpack-version.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { localImages } from './local-images.ts';

export async function run(context: CommandContext): Promise<void> {
  const [from, to, extra] = context.positionals;
  if (from === undefined || to === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image clone <name>[@n] <new-name>');
  const repo = await localImages(context, { write: true });
  const tree = await cloneImage(repo, from, to);
  if (context.json) return printJson(tree);
  process.stdout.write(`cloned ${from} to ${to}: ${repo.layout(to).treeRoot}\n`);
}
