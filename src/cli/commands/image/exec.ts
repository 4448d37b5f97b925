import { BerthError } from '../../../errors.ts';
import { namespaceExec } from '../../../images/exec/namespace-exec.ts';
import { writeTreeInfo } from '../../../images/repository/tree-info.ts';
import type { CommandContext } from '../../command.ts';
import { localImages } from './local-images.ts';

/** Shared by `image exec` and `image shell`: the command's exit status is berth's. */
export async function execInImage(context: CommandContext, name: string, command: string[]): Promise<number> {
  const repo = await localImages(context, { write: true });
  const tree = await repo.requireTree(name);
  const layout = repo.layout(name);
  const result = await namespaceExec({ root: layout.treeRoot, hostname: name, command, stdio: 'inherit' });
  // The tree may have changed: its time moves on, so the next pack clamps nothing that was just written.
  await writeTreeInfo(layout.treeInfo, { ...tree, modified: new Date().toISOString() });
  return result.code;
}

export async function run(context: CommandContext): Promise<number> {
  const [name, ...command] = context.positionals;
  if (name === undefined || command.length === 0) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image exec <name> -- COMMAND [ARG...]');
  return execInImage(context, name, command);
}
