import { BerthError } from '../../../errors.ts';
import { parseImageRef } from '../../../images/repository/image-ref.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { force: { type: 'boolean' as const, description: 'remove a version even while nodes use it' }, tree: { type: 'boolean' as const, description: "remove the image's editable tree instead of a version" } };

const USAGE = 'berth image remove <name>@<n> [--force] | berth image remove <name> --tree';

/** Removal goes through the server: only it knows which nodes use a version, and it holds the image's lock while it checks and removes. */
export async function run(context: CommandContext): Promise<void> {
  const [ref, extra] = context.positionals;
  if (ref === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', `usage: ${USAGE}`);
  const client = context.client();
  const unavailable = (e: unknown) => {
    if (e instanceof BerthError && e.code === 'BERTH_UNAVAILABLE') {
      throw new BerthError('BERTH_UNAVAILABLE', `cannot remove ${ref}: berth serve is not running, and only it can tell which nodes use an image (${e.message})`);
    }
    throw e;
  };
  if (context.values['tree']) {
    if (ref.includes('@')) throw new BerthError('BERTH_BAD_INPUT', `--tree removes an image's editable tree; name the image without a version\nusage: ${USAGE}`);
    const result = await client.request('DELETE', `/api/v1/images/${encodeURIComponent(parseImageRef(ref).name)}/tree`).catch(unavailable);
    if (context.json) return printJson(result);
    return void process.stdout.write(`removed ${result.removed}\n`);
  }
  const { name, version } = parseImageRef(ref);
  if (!ref.includes('@') || version === 'latest') throw new BerthError('BERTH_BAD_INPUT', `name the version to remove, e.g. ${name}@1 (berth image versions ${name})\nusage: ${USAGE}`);
  const result = await client.request('DELETE', `/api/v1/images/${encodeURIComponent(name)}/versions/${version}`, undefined, { force: context.values['force'] ? true : undefined }).catch(unavailable);
  if (context.json) return printJson(result);
  process.stdout.write(`removed ${result.removed}${result.forced ? ` although nodes ${result.forced.noderange} use it (--force)` : ''}\n`);
}
