import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { execInImage } from './exec.ts';

export async function run(context: CommandContext): Promise<number> {
  const [name, extra] = context.positionals;
  if (name === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth image shell <name>');
  // bash when the image has it; every image has sh.
  return execInImage(context, name, ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash -l; else exec /bin/sh -l; fi']);
}
